package dev.tfkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfkit.tensor.TensorValue;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DataType;

/** The JShell tensor helpers: same values as the TensorValue API they stand for. */
class TfkitTensorHelpersTest {

  @Test
  void tensorHelpersInferParseAndDecode() {
    TensorValue t = Tfkit.tensor(new int[][] {{1, 2}, {3, 4}});
    assertThat(t.dtype()).isEqualTo(DataType.DT_INT32);
    assertThat(t.shape()).containsExactly(2, 2);
    TensorValue h = Tfkit.tensor(new double[] {0.5, 2}, "float16");
    assertThat(h.dtype()).isEqualTo(DataType.DT_HALF);
    assertThat(h.floats()).containsExactly(0.5f, 2f);
    assertThat(Tfkit.tensor(h.toProto())).isEqualTo(h);
    assertThatThrownBy(() -> Tfkit.tensor(1, "int33")).hasMessageContaining("'int33'");
  }
}
