// Send's "Scan a QR code": the camera (the rear one on a phone) is read a frame at a time
// into a canvas and each frame is decoded with `qr`'s decoder (paulmillr/qr: no
// dependencies, pure JS, by the author of the noble libraries this project builds on).
// The first code read goes into Recipient, as if pasted, and the camera stops; it also
// stops on Stop, on leaving Send, and after camera_scan_ms_max. Nothing leaves the page.

import decodeQR from 'qr/decode.js';
import { camera_frame_ms, camera_frame_pixels_max, camera_scan_ms_max } from '../../constants.ts';
import { byId, setText, show } from './dom.ts';
import { fillRecipient } from './send.ts';

let stream: MediaStream | null = null;
let timer: number | null = null;

export function stopCamera(said = ''): void {
  if (timer !== null) window.clearTimeout(timer);
  timer = null;
  for (const track of stream?.getTracks() ?? []) track.stop();
  stream = null;
  byId<HTMLVideoElement>('send-camera-video').srcObject = null;
  show(byId('send-camera'), false);
  setText(byId('send-scan-status'), said);
}

/** The text of a QR code in the video's current frame, or null. */
function readFrame(video: HTMLVideoElement, canvas: HTMLCanvasElement): string | null {
  if (video.videoWidth === 0) return null;
  const scale = Math.min(1, camera_frame_pixels_max / video.videoWidth);
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  const context = canvas.getContext('2d', { willReadFrequently: true })!;
  context.drawImage(video, 0, 0, canvas.width, canvas.height);
  const image = context.getImageData(0, 0, canvas.width, canvas.height);
  try {
    return decodeQR({ width: image.width, height: image.height, data: image.data });
  } catch {
    return null; // no code in this frame
  }
}

async function startCamera(): Promise<void> {
  const video = byId<HTMLVideoElement>('send-camera-video');
  show(byId('send-camera'), true);
  setText(byId('send-scan-status'), 'Asking for the camera…');
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  } catch (error) {
    stopCamera(`The camera cannot be used (${error instanceof Error ? error.name : 'refused'}): paste the payment request into Recipient instead.`);
    return;
  }
  video.srcObject = stream;
  await video.play().catch(() => {});
  setText(byId('send-scan-status'), 'Point the camera at a scryp: payment request.');
  const canvas = document.createElement('canvas');
  const until = Date.now() + camera_scan_ms_max;
  const frame = () => {
    if (stream === null) return;
    if (Date.now() > until) return stopCamera('Nothing was read: the camera stopped. Scan again, or paste the request.');
    const text = readFrame(video, canvas);
    if (text === null) {
      timer = window.setTimeout(frame, camera_frame_ms);
      return;
    }
    stopCamera('Read a code: check the recipient and amount below.');
    fillRecipient(text.trim());
  };
  frame();
}

export function initCamera(): void {
  const scan = byId('send-scan');
  show(scan, typeof navigator.mediaDevices?.getUserMedia === 'function');
  scan.addEventListener('click', () => void startCamera());
  byId('send-camera-stop').addEventListener('click', () => stopCamera('Camera stopped.'));
}
