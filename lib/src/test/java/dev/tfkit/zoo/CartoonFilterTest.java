package dev.tfkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.TUint8;

class CartoonFilterTest {

  /** Runs the filter on an H×W image given as packed RGB bytes; returns the output bytes. */
  private static byte[] run(CartoonFilter f, byte[] rgb, int h, int w) {
    try (Graph g = new Graph()) {
      f.addTo(g);
      try (Session s = new Session(g);
          TUint8 in = TUint8.tensorOf(Shape.of(1, h, w, 3));
          ) {
        in.asRawTensor().data().write(rgb);
        try (Tensor out = s.runner().feed(CartoonFilter.INPUT, in).fetch(CartoonFilter.OUTPUT).run().get(0)) {
          assertThat(out.shape().asArray()).containsExactly(1, h, w, 3);
          byte[] b = new byte[h * w * 3];
          out.asRawTensor().data().read(b);
          return b;
        }
      }
    }
  }

  @Test
  void flatAreasAreQuantisedToAtMostLevelsPerChannel() {
    int h = 32, w = 32;
    byte[] rgb = new byte[h * w * 3];
    // A smooth horizontal gradient: no edges, many distinct input values.
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int i = (y * w + x) * 3;
        rgb[i] = (byte) (x * 8);
        rgb[i + 1] = (byte) 100;
        rgb[i + 2] = (byte) (255 - x * 8);
      }
    }
    CartoonFilter f = CartoonFilter.of(4, 120f);
    byte[] out = run(f, rgb, h, w);
    Set<Integer> reds = new HashSet<>();
    for (int i = 0; i < out.length; i += 3) reds.add(out[i] & 0xff);
    assertThat(reds.size()).isLessThanOrEqualTo(4 + 1); // 4 bins, border pixels may darken slightly
    Set<Integer> inputReds = new HashSet<>();
    for (int i = 0; i < rgb.length; i += 3) inputReds.add(rgb[i] & 0xff);
    assertThat(inputReds.size()).isGreaterThan(20);
  }

  @Test
  void strongEdgesTurnDark() {
    int h = 16, w = 16;
    byte[] rgb = new byte[h * w * 3];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        byte v = (byte) (x < 8 ? 0 : 255);
        int i = (y * w + x) * 3;
        rgb[i] = v;
        rgb[i + 1] = v;
        rgb[i + 2] = v;
      }
    }
    byte[] out = run(CartoonFilter.standard(), rgb, h, w);
    int edge = (8 * w + 8) * 3; // right beside the black/white border
    int flat = (8 * w + 14) * 3; // far into the white half
    assertThat(out[flat] & 0xff).isGreaterThan(200);
    assertThat(out[edge] & 0xff).isLessThan(60);
  }

  @Test
  void refusesBadParameters() {
    assertThatThrownBy(() -> CartoonFilter.of(1, 10f)).hasMessageContaining("levels");
    assertThatThrownBy(() -> CartoonFilter.of(8, 0f)).hasMessageContaining("edgeThreshold");
  }
}
