package dev.tfkit.tensor;

import com.google.protobuf.UnsafeByteOperations;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.tensorflow.proto.DataType;

/**
 * Images as tensors in the layout vision models take: a batch of one, height, width, RGB channels
 * ({@code [1,H,W,3]}), uint8 0..255 or floats scaled to 0..1; and back.
 */
final class ImageTensors {
  private ImageTensors() {}

  static TensorValue fromImage(BufferedImage img, DataType dtype) {
    int w = img.getWidth();
    int h = img.getHeight();
    int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
    long[] shape = {1, h, w, 3};
    if (dtype == DataType.DT_UINT8) {
      byte[] out = new byte[argb.length * 3];
      for (int i = 0, j = 0; i < argb.length; i++) {
        int p = argb[i];
        out[j++] = (byte) (p >>> 16);
        out[j++] = (byte) (p >>> 8);
        out[j++] = (byte) p;
      }
      return TensorValue.ofContent(DataType.DT_UINT8, shape, UnsafeByteOperations.unsafeWrap(out));
    }
    if (!DataTypes.isFloating(dtype)) {
      throw new IllegalArgumentException(
          "an image converts to uint8 (0..255) or a float dtype (0..1), not " + DataTypes.name(dtype));
    }
    float[] f = new float[argb.length * 3];
    for (int i = 0, j = 0; i < argb.length; i++) {
      int p = argb[i];
      f[j++] = ((p >>> 16) & 0xff) / 255f;
      f[j++] = ((p >>> 8) & 0xff) / 255f;
      f[j++] = (p & 0xff) / 255f;
    }
    return TensorValue.fromFlat(dtype, f, shape);
  }

  static BufferedImage toImage(TensorValue v) {
    long[] s = v.shape();
    long h, w, c;
    if (s.length == 2) {
      h = s[0]; w = s[1]; c = 1;
    } else if (s.length == 3) {
      h = s[0]; w = s[1]; c = s[2];
    } else if (s.length == 4 && s[0] == 1) {
      h = s[1]; w = s[2]; c = s[3];
    } else {
      throw new IllegalArgumentException(
          "an image tensor has shape [H,W], [H,W,C] or [1,H,W,C]; got " + DataTypes.name(v.dtype()) + Shapes.toString(s));
    }
    if (c != 1 && c != 3 && c != 4) {
      throw new IllegalArgumentException("an image tensor has 1, 3 or 4 channels; got " + c + " in " + Shapes.toString(s));
    }
    if (h == 0 || w == 0) throw new IllegalArgumentException("an image tensor needs H, W > 0; got " + Shapes.toString(s));
    int[] px = new int[(int) (h * w * c)];
    DataType d = v.dtype();
    if (d == DataType.DT_UINT8) {
      ByteBuffer b = v.content().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < px.length; i++) px[i] = b.get() & 0xff;
    } else if (DataTypes.isFloating(d)) {
      double[] f = v.doubles();
      for (int i = 0; i < px.length; i++) {
        double x = f[i] * 255.0;
        px[i] = Double.isNaN(x) ? 0 : (int) Math.round(Math.max(0, Math.min(255, x)));
      }
    } else if (DataTypes.isInteger(d)) {
      long[] l = v.longs();
      for (int i = 0; i < px.length; i++) px[i] = (int) Math.max(0, Math.min(255, l[i]));
    } else {
      throw new IllegalArgumentException("a " + DataTypes.name(d) + " tensor is not an image");
    }
    int type = c == 4 ? BufferedImage.TYPE_INT_ARGB : (c == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
    BufferedImage img = new BufferedImage((int) w, (int) h, type);
    int[] rgb = new int[(int) (w * h)];
    for (int i = 0; i < rgb.length; i++) {
      int k = (int) (i * c);
      if (c == 1) {
        int g = px[k];
        rgb[i] = 0xff000000 | g << 16 | g << 8 | g;
      } else if (c == 3) {
        rgb[i] = 0xff000000 | px[k] << 16 | px[k + 1] << 8 | px[k + 2];
      } else {
        rgb[i] = px[k + 3] << 24 | px[k] << 16 | px[k + 1] << 8 | px[k + 2];
      }
    }
    img.setRGB(0, 0, (int) w, (int) h, rgb, 0, (int) w);
    return img;
  }
}
