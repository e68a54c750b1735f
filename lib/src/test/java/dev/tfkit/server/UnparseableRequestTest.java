package dev.tfkit.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.io.RawBytesCalls;
import dev.tfkit.testing.ServedChannel;
import dev.tfkit.testing.TestTensors;
import dev.tfkit.zoo.Fixtures;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;

/**
 * Messages that are not protobuf at all, sent as raw bytes to Predict: each is answered
 * INVALID_ARGUMENT, and the log gets a few one-line records naming the peer instead of a stack
 * trace per request.
 */
class UnparseableRequestTest {
  /** Bytes as they are, for sending what no protobuf client would. */
  private static final MethodDescriptor.Marshaller<byte[]> RAW =
      RawBytesCalls.MARSHALLER;

  private static final MethodDescriptor<byte[], byte[]> RAW_PREDICT =
      MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("tensorflow.serving.PredictionService/Predict")
          .setRequestMarshaller(RAW)
          .setResponseMarshaller(RAW)
          .build();

  @Test
  void malformedMessagesAreInvalidArgumentsLoggedOnALineEachAndRateLimited() throws Exception {
    List<LogRecord> records = new CopyOnWriteArrayList<>();
    Handler capture =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.WARNING.intValue()) records.add(r);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger root = Logger.getLogger("");
    root.addHandler(capture);
    try (EmbeddedServer server =
        EmbeddedServer.builder()
            .model("half_plus_two", Fixtures.tfServing("saved_model_half_plus_two_cpu"))
            .grpcPort(0)
            .noRest()
            .start()) {
      try (ServedChannel grpc = ServedChannel.to(server)) {
        records.clear();
        long start = System.nanoTime();
        List<Status> answers = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          // Field 1 (model_spec) announced with 100 bytes but followed by 2; or a bad varint.
          byte[] garbage = i % 2 == 0 ? new byte[] {0x0A, 0x64, 0x01, 0x02} : new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
          try {
            ClientCalls.blockingUnaryCall(grpc.channel(), RAW_PREDICT, CallOptions.DEFAULT, garbage);
            answers.add(Status.OK);
          } catch (StatusRuntimeException e) {
            answers.add(e.getStatus());
          }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(answers).allSatisfy(s -> {
          assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(s.getDescription()).startsWith("the message is not a valid tensorflow.serving.PredictRequest: ");
        });
        // A valid request on the same connection is still answered.
        var ok = grpc.predict().predict(PredictRequest.newBuilder()
            .setModelSpec(ModelSpec.newBuilder().setName("half_plus_two"))
            .putInputs("x", TestTensors.floatVector(2f)).build());
        assertThat(ok.getOutputsOrThrow("y").getFloatVal(0)).isEqualTo(3f);

        assertThat(records).isNotEmpty().allSatisfy(r -> {
          assertThat(r.getThrown()).as("stack trace of %s", r.getMessage()).isNull();
          assertThat(r.getMessage()).doesNotContain("\n")
              .contains("unparseable tensorflow.serving.PredictRequest on tensorflow.serving.PredictionService/Predict from /127.0.0.1:");
        });
        // At most 5 a second (the first second's and each later one's), not one per request.
        assertThat(records.size()).isLessThanOrEqualTo(5 * ((int) Math.ceil(seconds) + 1)).isLessThan(200);
      }
    } finally {
      root.removeHandler(capture);
    }
  }
}
