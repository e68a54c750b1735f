package dev.tfkit.vision;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;

/** Pictures for people: detections drawn on photos, and captioned rows and grids of images. */
public final class Figures {
  private static final Color BOX = new Color(0, 200, 255);
  private static final Color BACKGROUND = Color.WHITE;
  private static final Color TEXT = new Color(30, 30, 30);

  private Figures() {}

  /** One image with a caption underneath, for {@link #row} and {@link #grid}. */
  public record Captioned(BufferedImage image, String caption) {}

  /**
   * A copy of {@code photo} with each box drawn and labelled with its score (boxes normalized, TF
   * Object Detection API order).
   */
  public static BufferedImage drawDetections(BufferedImage photo, List<Box> boxes, float[] scores) {
    if (scores != null && scores.length < boxes.size()) {
      throw new IllegalArgumentException(boxes.size() + " boxes but only " + scores.length + " scores");
    }
    BufferedImage out = Images.toRgb(copy(photo));
    Graphics2D g = out.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    int stroke = Math.max(2, Math.min(out.getWidth(), out.getHeight()) / 200);
    g.setStroke(new BasicStroke(stroke));
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, Math.max(12, stroke * 6)));
    FontMetrics fm = g.getFontMetrics();
    for (int i = 0; i < boxes.size(); i++) {
      Rectangle r = boxes.get(i).absolute(out.getWidth(), out.getHeight(), 1.0);
      g.setColor(BOX);
      g.drawRect(r.x, r.y, r.width, r.height);
      if (scores != null) {
        String label = String.format(Locale.ROOT, "%.2f", scores[i]);
        int tw = fm.stringWidth(label) + 6;
        int ty = Math.max(0, r.y - fm.getHeight());
        g.fillRect(r.x, ty, tw, fm.getHeight());
        g.setColor(Color.BLACK);
        g.drawString(label, r.x + 3, ty + fm.getAscent());
      }
    }
    g.dispose();
    return out;
  }

  /** Images side by side, each scaled to {@code height} pixels high, with captions below. */
  public static BufferedImage row(List<Captioned> items, int height) {
    return grid(items, items.size(), height);
  }

  /** Images in rows of {@code columns}, each scaled to {@code cellHeight} pixels high, captioned. */
  public static BufferedImage grid(List<Captioned> items, int columns, int cellHeight) {
    if (items.isEmpty()) throw new IllegalArgumentException("a figure needs at least one image");
    if (columns <= 0 || cellHeight <= 0) {
      throw new IllegalArgumentException("columns and cellHeight must be positive: " + columns + ", " + cellHeight);
    }
    int pad = 8;
    int captionH = 18;
    Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    int n = items.size();
    int rows = (n + columns - 1) / columns;
    int[] widths = new int[n];
    int[] colW = new int[Math.min(columns, n)];
    for (int i = 0; i < n; i++) {
      BufferedImage im = items.get(i).image();
      widths[i] = Math.max(1, (int) Math.round((double) im.getWidth() * cellHeight / im.getHeight()));
      colW[i % columns] = Math.max(colW[i % columns], widths[i]);
    }
    int totalW = pad;
    for (int w : colW) totalW += w + pad;
    int totalH = pad + rows * (cellHeight + captionH + pad);
    BufferedImage out = new BufferedImage(totalW, totalH, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(BACKGROUND);
    g.fillRect(0, 0, totalW, totalH);
    g.setFont(font);
    FontMetrics fm = g.getFontMetrics();
    for (int i = 0; i < n; i++) {
      int col = i % columns;
      int rowI = i / columns;
      int x = pad;
      for (int c = 0; c < col; c++) x += colW[c] + pad;
      int y = pad + rowI * (cellHeight + captionH + pad);
      BufferedImage scaled = Images.resize(items.get(i).image(), widths[i], cellHeight);
      g.drawImage(scaled, x, y, null);
      String cap = items.get(i).caption() == null ? "" : items.get(i).caption();
      while (cap.length() > 1 && fm.stringWidth(cap) > colW[col]) cap = cap.substring(0, cap.length() - 2) + "…";
      g.setColor(TEXT);
      g.drawString(cap, x, y + cellHeight + fm.getAscent() + 2);
    }
    g.dispose();
    return out;
  }

  private static BufferedImage copy(BufferedImage img) {
    BufferedImage out = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    g.drawImage(img, 0, 0, null);
    g.dispose();
    return out;
  }
}
