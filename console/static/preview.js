// The live face preview: one binary WebSocket message per frame (4-byte big-endian length, JSON
// metadata, JPEG); text messages carry errors and the end. Every drawn frame is acknowledged; the server sends the newest frame only when the page has room,
// so a slow page drops frames instead of queueing them.
import { openSocket } from "./api.js";

const LATENCY_WINDOW = 1000;

export class FacePreview {
  constructor(canvas, { onFrame, onError }) {
    this.canvas = canvas;
    this.context = canvas.getContext("2d");
    this.onFrame = onFrame;
    this.onError = onError;
    this.socket = null;
    this.sessionId = null;
    this.frames = 0;
    this.dropped = 0;
    this.latencies = [];
    this.daemonLatencies = [];
    this.drawnAt = [];
  }

  start(sessionId) {
    if (this.socket && this.sessionId === sessionId) return;
    this.stop();
    this.sessionId = sessionId;
    const socket = openSocket(`/ws/sessions/${sessionId}/preview?max_size=640`);
    socket.binaryType = "arraybuffer";
    socket.onmessage = async (message) => {
      if (typeof message.data === "string") {
        const data = JSON.parse(message.data);
        if (data.error) this.onError(data.error);
        return;
      }
      const length = new DataView(message.data).getUint32(0);
      const meta = JSON.parse(new TextDecoder().decode(new Uint8Array(message.data, 4, length)));
      const jpeg = new Blob([new Uint8Array(message.data, 4 + length)], { type: "image/jpeg" });
      const bitmap = await createImageBitmap(jpeg);
      if (this.socket !== socket) return bitmap.close();
      this.draw(bitmap, meta);
      bitmap.close();
      // Glass to glass: the daemon's grab time against this page's clock (same machine).
      const now = performance.timeOrigin + performance.now();
      this.frames += 1;
      this.dropped = meta.dropped;
      this.latencies.push(now - meta.grabbed_at_ms);
      this.daemonLatencies.push(meta.received_ms - meta.grabbed_at_ms);
      this.drawnAt.push(now);
      if (this.latencies.length > LATENCY_WINDOW) {
        for (const series of [this.latencies, this.daemonLatencies, this.drawnAt]) series.shift();
      }
      if (socket.readyState === WebSocket.OPEN) socket.send("ack");
      this.onFrame(meta, this.frames);
    };
    socket.onclose = () => {
      if (this.socket === socket) this.socket = null;
    };
    this.socket = socket;
  }

  stop() {
    if (this.socket) this.socket.close();
    this.socket = null;
    this.sessionId = null;
  }

  draw(bitmap, meta) {
    const { canvas, context } = this;
    if (canvas.width !== bitmap.width || canvas.height !== bitmap.height) {
      canvas.width = bitmap.width;
      canvas.height = bitmap.height;
    }
    context.drawImage(bitmap, 0, 0);
    const box = meta && meta.face_box;
    if (!box) return;
    // Solid when every check passes, dashed when not: the state does not rest on colour alone.
    context.lineWidth = 4;
    context.setLineDash(meta.ready ? [] : [12, 8]);
    context.strokeStyle = meta.ready ? "#27d367" : "#ffb000";
    context.strokeRect(box.x, box.y, box.width, box.height);
  }
}
