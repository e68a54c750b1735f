package dev.tfkit.vision;

import java.awt.Rectangle;

/**
 * A detection box in TF Object Detection API order, normalized to [0, 1]: {@code ymin, xmin, ymax,
 * xmax} — what a {@code boxes} output holds for one detection.
 */
public record Box(float ymin, float xmin, float ymax, float xmax) {

  public Box {
    for (float v : new float[] {ymin, xmin, ymax, xmax}) {
      if (Float.isNaN(v)) throw new IllegalArgumentException("box coordinate is NaN: " + this);
    }
    if (ymax < ymin || xmax < xmin) {
      throw new IllegalArgumentException(
          "box has max < min: ymin=" + ymin + " xmin=" + xmin + " ymax=" + ymax + " xmax=" + xmax);
    }
  }

  /** Box {@code i} of a flat {@code boxes} array laid out as [N, 4]. */
  public static Box at(float[] boxes, int i) {
    if (i < 0 || 4 * i + 3 >= boxes.length) {
      throw new IndexOutOfBoundsException(
          "box " + i + " outside a boxes array of " + boxes.length / 4 + " boxes");
    }
    return new Box(boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3]);
  }

  public float width() {
    return xmax - xmin;
  }

  public float height() {
    return ymax - ymin;
  }

  /** Intersection over union with another box (0 when they do not overlap). */
  public float iou(Box o) {
    float iy = Math.max(0, Math.min(ymax, o.ymax) - Math.max(ymin, o.ymin));
    float ix = Math.max(0, Math.min(xmax, o.xmax) - Math.max(xmin, o.xmin));
    float inter = ix * iy;
    float union = width() * height() + o.width() * o.height() - inter;
    return union <= 0 ? 0 : inter / union;
  }

  /**
   * The pixel rectangle of this box in an image of {@code imageWidth} × {@code imageHeight}, grown
   * around its centre by {@code scale} (1 = the box itself, 1.3 = 30% margin, as the walkthrough's {@code
   * get_absolute_bbox}) and clamped to the image. Never empty: at least one pixel.
   */
  public Rectangle absolute(int imageWidth, int imageHeight, double scale) {
    if (imageWidth <= 0 || imageHeight <= 0) {
      throw new IllegalArgumentException("image size must be positive: " + imageWidth + "x" + imageHeight);
    }
    if (!(scale > 0)) throw new IllegalArgumentException("scale must be > 0: " + scale);
    double cx = (xmin + xmax) / 2.0 * imageWidth;
    double cy = (ymin + ymax) / 2.0 * imageHeight;
    double w = width() * imageWidth * scale;
    double h = height() * imageHeight * scale;
    // The epsilon keeps float noise (0.4f * 100 = 40.0000006) from adding a pixel on each side.
    double eps = 1e-4;
    int x0 = clamp((int) Math.floor(cx - w / 2 + eps), 0, imageWidth - 1);
    int y0 = clamp((int) Math.floor(cy - h / 2 + eps), 0, imageHeight - 1);
    int x1 = clamp((int) Math.ceil(cx + w / 2 - eps), x0 + 1, imageWidth);
    int y1 = clamp((int) Math.ceil(cy + h / 2 - eps), y0 + 1, imageHeight);
    return new Rectangle(x0, y0, x1 - x0, y1 - y0);
  }

  private static int clamp(int v, int lo, int hi) {
    return Math.max(lo, Math.min(hi, v));
  }
}
