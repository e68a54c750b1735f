package dev.tfkit.vision;

import dev.tfkit.io.AtomicFiles;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Image helpers for model inputs and figures: decode, crop by box, resize, encode — all RGB. */
public final class Images {
  private Images() {}

  /** Reads a JPEG or PNG file as an RGB image; the error names the file when it is not an image. */
  public static BufferedImage read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read image " + file + ": " + e.getMessage(), e);
    }
    return decode(bytes, file.toString());
  }

  /** Decodes JPEG or PNG bytes as an RGB image; {@code what} names the source in errors. */
  public static BufferedImage decode(byte[] bytes, String what) {
    BufferedImage img;
    try {
      img = ImageIO.read(new ByteArrayInputStream(bytes));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(what + " is not a readable image: " + e.getMessage(), e);
    }
    if (img == null) {
      throw new IllegalArgumentException(what + " is not a JPEG or PNG image (" + bytes.length + " bytes)");
    }
    return toRgb(img);
  }

  /** The image as {@code TYPE_INT_RGB} (alpha dropped), copying only when needed. */
  public static BufferedImage toRgb(BufferedImage img) {
    if (img.getType() == BufferedImage.TYPE_INT_RGB) return img;
    BufferedImage out = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    g.drawImage(img, 0, 0, null);
    g.dispose();
    return out;
  }

  /** A copy of the pixels inside {@code r} (clamped to the image). */
  public static BufferedImage crop(BufferedImage img, Rectangle r) {
    Rectangle c = r.intersection(new Rectangle(0, 0, img.getWidth(), img.getHeight()));
    if (c.isEmpty()) {
      throw new IllegalArgumentException(
          "crop " + r + " lies outside the image " + img.getWidth() + "x" + img.getHeight());
    }
    BufferedImage out = new BufferedImage(c.width, c.height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    g.drawImage(img, 0, 0, c.width, c.height, c.x, c.y, c.x + c.width, c.y + c.height, null);
    g.dispose();
    return out;
  }

  /** The face (or object) under {@code box}, with margin {@code scale} (see {@link Box#absolute}). */
  public static BufferedImage crop(BufferedImage img, Box box, double scale) {
    return crop(img, box.absolute(img.getWidth(), img.getHeight(), scale));
  }

  /** The image scaled to exactly {@code width} × {@code height} with bilinear filtering. */
  public static BufferedImage resize(BufferedImage img, int width, int height) {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("resize to " + width + "x" + height + ": sizes must be positive");
    }
    BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
    g.drawImage(img, 0, 0, width, height, null);
    g.dispose();
    return out;
  }

  /** The image scaled so that its longer side is {@code maxSide}, keeping the aspect ratio. */
  public static BufferedImage fit(BufferedImage img, int maxSide) {
    double s = (double) maxSide / Math.max(img.getWidth(), img.getHeight());
    return resize(img, Math.max(1, (int) Math.round(img.getWidth() * s)), Math.max(1, (int) Math.round(img.getHeight() * s)));
  }

  /** PNG bytes of the image. */
  public static byte[] png(BufferedImage img) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode PNG", e);
    }
    return out.toByteArray();
  }

  /**
   * JPEG bytes of the image (ImageIO's default quality, 0.75): what a REST client sends as {@code
   * {"b64": ...}} to a signature that decodes images in the graph, such as face_detection's {@code
   * image_bytes}.
   */
  public static byte[] jpeg(BufferedImage img) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(toRgb(img), "jpg", out)) {
        throw new IllegalStateException("this JVM has no JPEG writer");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode JPEG", e);
    }
    return out.toByteArray();
  }

  /** Writes the image as PNG, atomically (temporary sibling, then rename). */
  public static void writePng(BufferedImage img, Path file) {
    AtomicFiles.write(file, png(img));
  }

}
