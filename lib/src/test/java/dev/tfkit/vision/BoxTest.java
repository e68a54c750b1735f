package dev.tfkit.vision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.awt.Rectangle;
import org.junit.jupiter.api.Test;

class BoxTest {
  @Test
  void absoluteWithoutMarginIsThePixelBox() {
    Box b = new Box(0.25f, 0.5f, 0.75f, 1.0f);
    assertThat(b.absolute(200, 100, 1.0)).isEqualTo(new Rectangle(100, 25, 100, 50));
  }

  @Test
  void marginGrowsAroundTheCentreAndClampsToTheImage() {
    Box b = new Box(0.4f, 0.4f, 0.6f, 0.6f); // 20x20 px in a 100x100 image, centre (50, 50)
    assertThat(b.absolute(100, 100, 2.0)).isEqualTo(new Rectangle(30, 30, 40, 40));
    Box corner = new Box(0f, 0f, 0.2f, 0.2f);
    Rectangle r = corner.absolute(100, 100, 3.0);
    assertThat(r.x).isZero();
    assertThat(r.y).isZero();
    assertThat(r.width).isEqualTo(40); // centre 10, half size 30 → [-20, 40] clamped to [0, 40]
  }

  @Test
  void iouOfDisjointIdenticalAndHalfOverlappingBoxes() {
    Box a = new Box(0, 0, 1, 1);
    assertThat(a.iou(a)).isEqualTo(1f);
    assertThat(a.iou(new Box(2, 2, 3, 3))).isZero();
    assertThat(a.iou(new Box(0, 0.5f, 1, 1.5f))).isCloseTo(1f / 3f, within(1e-6f));
  }

  @Test
  void refusesInvertedBoxesAndBadIndices() {
    assertThatThrownBy(() -> new Box(0.5f, 0, 0.4f, 1)).hasMessageContaining("max < min");
    assertThatThrownBy(() -> Box.at(new float[8], 2)).hasMessageContaining("box 2");
  }
}
