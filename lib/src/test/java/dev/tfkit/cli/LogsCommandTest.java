package dev.tfkit.cli;

import static dev.tfkit.cli.CliRun.tfkit;
import static dev.tfkit.testing.TestTensors.floatVector;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Int64Value;
import dev.tfkit.io.TfRecords;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tensorflow.serving.Logging.LogMetadata;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.Predict.PredictResponse;
import tensorflow.serving.PredictionLogOuterClass.PredictLog;
import tensorflow.serving.PredictionLogOuterClass.PredictionLog;

class LogsCommandTest {
  @TempDir Path tmp;

  private static byte[] record(float x) {
    return PredictionLog.newBuilder()
        .setLogMetadata(
            LogMetadata.newBuilder()
                .setTimestampSecs(1_700_000_000L)
                .setModelSpec(
                    ModelSpec.newBuilder().setName("hpt").setVersion(Int64Value.of(123)).setSignatureName("serving_default")))
        .setPredictLog(
            PredictLog.newBuilder()
                .setRequest(PredictRequest.newBuilder().putInputs("x", floatVector(x, x)))
                .setResponse(PredictResponse.newBuilder().putOutputs("y", floatVector(x / 2 + 2, x / 2 + 2))))
        .build()
        .toByteArray();
  }

  @Test
  void helpExitsZero() {
    CliRun r = tfkit("logs", "--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("--json").contains("PredictionLog");
  }

  @Test
  void printsOneLinePerRecordAndJsonOnRequest() throws Exception {
    Path f = tmp.resolve("hpt.tfrecord");
    Files.write(f, TfRecords.toBytes(List.of(record(1f), record(4f))));
    CliRun r = tfkit("logs", f.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out().lines().toList())
        .containsExactly(
            "#0 2023-11-14T22:13:20Z model=hpt version=123 signature=serving_default predict inputs={x:float[2]} outputs={y:float[2]}",
            "#1 2023-11-14T22:13:20Z model=hpt version=123 signature=serving_default predict inputs={x:float[2]} outputs={y:float[2]}");
    CliRun j = tfkit("logs", "--json", f.toString());
    assertThat(j.code()).isZero();
    List<String> lines = j.out().lines().toList();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(1)).startsWith("{").contains("\"name\":\"hpt\"").contains("\"floatVal\":[4.0,4.0]");
  }

  @Test
  void aTmpFileIsReadUpToItsLastWholeRecordAndGarbageIsNamed() throws Exception {
    byte[] whole = TfRecords.toBytes(List.of(record(1f), record(2f)));
    Path tmpFile = tmp.resolve("hpt.x.tfrecord.tmp");
    Files.write(tmpFile, Arrays.copyOf(whole, whole.length - 7)); // the second record torn
    CliRun r = tfkit("logs", tmpFile.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out().lines()).hasSize(1);

    Path torn = tmp.resolve("torn.tfrecord");
    Files.write(torn, Arrays.copyOf(whole, whole.length - 7));
    CliRun t = tfkit("logs", torn.toString());
    assertThat(t.code()).isNotZero();
    assertThat(t.err()).contains(torn.toString()).contains("record 1 is truncated");

    Path notLogs = tmp.resolve("not.tfrecord");
    Files.write(notLogs, TfRecords.toBytes(List.of(new byte[] {(byte) 0xff, (byte) 0xff, 0x01})));
    CliRun n = tfkit("logs", notLogs.toString());
    assertThat(n.code()).isNotZero();
    assertThat(n.err()).contains(notLogs.toString()).contains("record 0 is not a tensorflow.serving.PredictionLog");
  }
}
