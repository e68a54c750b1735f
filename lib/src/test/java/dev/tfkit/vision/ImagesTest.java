package dev.tfkit.vision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Color;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImagesTest {
  @TempDir Path tmp;

  private static BufferedImage quadrants() {
    BufferedImage img = new BufferedImage(40, 20, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 20; y++) {
      for (int x = 0; x < 40; x++) {
        img.setRGB(x, y, x < 20 ? Color.RED.getRGB() : Color.BLUE.getRGB());
      }
    }
    return img;
  }

  @Test
  void cropTakesExactlyTheRectangle() {
    BufferedImage c = Images.crop(quadrants(), new Rectangle(15, 5, 10, 4));
    assertThat(c.getWidth()).isEqualTo(10);
    assertThat(c.getHeight()).isEqualTo(4);
    assertThat(c.getRGB(4, 0)).isEqualTo(Color.RED.getRGB());
    assertThat(c.getRGB(5, 0)).isEqualTo(Color.BLUE.getRGB());
  }

  @Test
  void pngRoundTripKeepsPixels() throws Exception {
    BufferedImage img = quadrants();
    Path f = tmp.resolve("q.png");
    Images.writePng(img, f);
    BufferedImage back = Images.read(f);
    assertThat(back.getRGB(0, 0)).isEqualTo(Color.RED.getRGB());
    assertThat(back.getRGB(39, 19)).isEqualTo(Color.BLUE.getRGB());
    try (var s = Files.list(tmp)) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("q.png");
    }
  }

  @Test
  void garbageIsRefusedNamingTheFile() throws Exception {
    Path f = tmp.resolve("not-an-image.jpg");
    Files.writeString(f, "hello");
    assertThatThrownBy(() -> Images.read(f)).hasMessageContaining("not-an-image.jpg");
  }

  @Test
  void gridHasOneCellPerImageAndDrawsBoxes() {
    BufferedImage photo = new BufferedImage(100, 100, BufferedImage.TYPE_INT_RGB);
    BufferedImage drawn =
        Figures.drawDetections(photo, List.of(new Box(0.1f, 0.1f, 0.5f, 0.5f)), new float[] {0.9f});
    assertThat(drawn.getRGB(10, 30)).isNotEqualTo(Color.BLACK.getRGB()); // left edge of the box
    assertThat(drawn.getRGB(80, 80)).isEqualTo(Color.BLACK.getRGB()); // untouched
    assertThat(photo.getRGB(10, 30)).isEqualTo(Color.BLACK.getRGB()); // input not modified
    BufferedImage g =
        Figures.grid(
            List.of(
                new Figures.Captioned(photo, "a"),
                new Figures.Captioned(photo, "b"),
                new Figures.Captioned(photo, "c")),
            2,
            50);
    // 2 columns of 50 px + 3 paddings of 8; 2 rows of (50 + caption 18 + pad 8) + top pad 8.
    assertThat(g.getWidth()).isEqualTo(2 * 50 + 3 * 8);
    assertThat(g.getHeight()).isEqualTo(8 + 2 * (50 + 18 + 8));
  }
}
