package dev.tfkit.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfkit.tensor.TensorEncoding;
import dev.tfkit.tensor.TensorValue;
import io.grpc.KnownLength;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.TensorProto;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.PredictionServiceGrpc;

class AliasingMarshallerTest {
  /** A gRPC-like message stream that remembers the array the message was read into. */
  static final class RecordingStream extends InputStream implements KnownLength {
    private final ByteArrayInputStream in;
    byte[] target;

    RecordingStream(byte[] bytes) {
      in = new ByteArrayInputStream(bytes);
    }

    @Override
    public int read() {
      return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len > 0 && target == null) {
        target = b;
      }
      return in.read(b, off, len);
    }

    @Override
    public int available() {
      return in.available();
    }
  }

  private static PredictRequest request(int floats) {
    float[] v = new float[floats];
    Random r = new Random(7);
    for (int i = 0; i < v.length; i++) v[i] = r.nextFloat();
    return PredictRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName("m"))
        .putInputs("x", TensorValue.fromFlat(v, 1, floats).toProto())
        .putInputs("y", TensorProto.newBuilder().mergeFrom(TensorValue.fromFlat(new float[] {1, 2}, 2).toProto(TensorEncoding.TYPED_FIELDS)).build())
        .build();
  }

  @Test
  void roundTripsMessagesOfAnySize() throws Exception {
    AliasingMarshaller<PredictRequest> m = AliasingMarshaller.of(PredictRequest.getDefaultInstance());
    for (int n : new int[] {0, 3, 1_500_000}) { // 1.5 M floats: 6 MB, above gRPC's 4 MB buffer path
      PredictRequest want = request(n);
      PredictRequest got = m.parse(new RecordingStream(m.stream(want).readAllBytes()));
      assertThat(got).isEqualTo(want);
      assertThat(TensorValue.fromProto(got.getInputsOrThrow("y")).floats()).containsExactly(1f, 2f);
    }
  }

  @Test
  void tensorContentSharesTheArrayTheMessageWasReadInto() {
    AliasingMarshaller<PredictRequest> m = AliasingMarshaller.of(PredictRequest.getDefaultInstance());
    PredictRequest want = request(1000);
    RecordingStream s = new RecordingStream(want.toByteArray());
    PredictRequest got = m.parse(s);
    float before = TensorValue.fromProto(got.getInputsOrThrow("x")).floats()[0];
    // Overwrite the message bytes after parsing: an aliased tensor_content sees the change.
    Arrays.fill(s.target, (byte) 0);
    float after = TensorValue.fromProto(got.getInputsOrThrow("x")).floats()[0];
    assertThat(before).isNotZero();
    assertThat(after).as("tensor_content was not copied out of the read buffer").isZero();
  }

  @Test
  void garbageIsAnInternalErrorNotACrash() {
    AliasingMarshaller<PredictRequest> m = AliasingMarshaller.of(PredictRequest.getDefaultInstance());
    assertThatThrownBy(() -> m.parse(new RecordingStream(new byte[] {(byte) 0x0a, (byte) 0xff, 1, 2})))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL))
        .hasMessageContaining("Invalid protobuf");
  }

  @Test
  void clientMethodsKeepTheirNamesAndAreCached() {
    var stock = PredictionServiceGrpc.getPredictMethod();
    var aliased = AliasingMarshaller.parsingResponsesWithAliasing(stock);
    assertThat(aliased.getFullMethodName()).isEqualTo(stock.getFullMethodName());
    assertThat(aliased.getResponseMarshaller()).isInstanceOf(AliasingMarshaller.class);
    assertThat(AliasingMarshaller.parsingResponsesWithAliasing(stock)).isSameAs(aliased);
  }
}
