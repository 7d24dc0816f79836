// The signature drawn live from the pad's pen samples (pad coordinates scaled to the canvas).
export class PenDrawing {
  constructor(canvas) {
    this.canvas = canvas;
    this.context = canvas.getContext("2d");
    this.samples = 0;
    this.clear();
  }

  clear() {
    const { canvas, context } = this;
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    this.last = null;
    this.samples = 0;
  }

  add(batch) {
    const { canvas, context } = this;
    const sx = canvas.width / Math.max(1, batch.max_x);
    const sy = canvas.height / Math.max(1, batch.max_y);
    context.strokeStyle = "#111111";
    context.lineCap = "round";
    for (const sample of batch.samples) {
      const point = { x: sample.x * sx, y: sample.y * sy, tip: sample.tip };
      if (point.tip && this.last && this.last.tip) {
        context.lineWidth = 1.5 + 3 * (sample.pressure / 1023);
        context.beginPath();
        context.moveTo(this.last.x, this.last.y);
        context.lineTo(point.x, point.y);
        context.stroke();
      }
      this.last = point;
      this.samples += 1;
    }
  }
}
