package dev.tfkit.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tfkit.zoo.Fixtures;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * The TF1 and TF2 half_plus_two models from TF Serving's test data, loaded by the real TensorFlow
 * runtime, fed and read through tfkit's conversion: a request TensorProto in typed-field form goes
 * in, the answer comes back as a TensorProto and must be y = 0.5·x + 2.
 */
class HalfPlusTwoFixtureTest {

  @ParameterizedTest
  @ValueSource(strings = {"saved_model_half_plus_two_cpu/00000123", "saved_model_half_plus_two_tf2_cpu/00000123"})
  void servingDefaultComputesHalfPlusTwo(String fixture) throws Exception {
    float[] x = {1f, 2f, 5f, -3.5f};
    // As a hand-written client would send it: float_val, shape [4,1].
    TensorProto request =
        TensorProto.newBuilder()
            .setDtype(DataType.DT_FLOAT)
            .setTensorShape(
                TensorShapeProto.newBuilder()
                    .addDim(TensorShapeProto.Dim.newBuilder().setSize(4))
                    .addDim(TensorShapeProto.Dim.newBuilder().setSize(1)))
            .addFloatVal(x[0]).addFloatVal(x[1]).addFloatVal(x[2]).addFloatVal(x[3])
            .build();
    TensorValue in = TensorValue.fromProto(request);

    String dir = Fixtures.tfServing(fixture).toString();
    TensorValue y;
    try (SavedModelBundle bundle = SavedModelBundle.load(dir, "serve");
        Tensor xt = in.toTensor();
        Result out = bundle.function("serving_default").call(Map.of("x", xt))) {
      Tensor yt = out.get("y").orElseThrow();
      y = TensorValue.fromProto(TensorValue.fromTensor(yt).toProto());
    }
    assertThat(y.dtype()).isEqualTo(DataType.DT_FLOAT);
    assertThat(y.shape()).containsExactly(4, 1);
    float[] got = y.floats();
    for (int i = 0; i < x.length; i++) {
      assertThat(got[i]).as("y[%d] for x=%s", i, x[i]).isCloseTo(0.5f * x[i] + 2f, within(1e-6f));
    }
  }
}
