package dev.tfkit.savedmodel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfkit.io.TfRecords;
import dev.tfkit.tensor.TensorValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TString;
import tensorflow.serving.PredictionLogOuterClass.PredictionLog;

class WarmupTest {
  @TempDir Path tmp;

  private Path exportWithWarmup() {
    return SavedModelExport.from(TestModels.halfPlusTwo(), TestModels.halfPlusTwoValues())
        .signature(SignatureSpec.predict().input("x", "x").output("y", "y"))
        .signature("times_three", SignatureSpec.predict().input("x", "x").output("y", "y3"))
        .warmup("serving_default", Map.of("x", new float[][] {{1f}, {2f}}))
        .warmup("times_three", Map.of("x", List.of(5f)))
        .exportTo(tmp.resolve("m"));
  }

  @Test
  void warmupFileParsesBackAsPredictionLogs() throws Exception {
    Path dir = exportWithWarmup();
    List<byte[]> records = TfRecords.read(dir.resolve(SavedModelExport.WARMUP_FILE));
    assertThat(records).hasSize(2);
    PredictionLog first = PredictionLog.parseFrom(records.get(0));
    assertThat(first.getPredictLog().getRequest().getModelSpec().getSignatureName()).isEqualTo("serving_default");
    TensorValue x = TensorValue.fromProto(first.getPredictLog().getRequest().getInputsOrThrow("x"));
    assertThat(x.shape()).containsExactly(2, 1);
    assertThat(x.floats()).containsExactly(1f, 2f);
    PredictionLog second = PredictionLog.parseFrom(records.get(1));
    assertThat(second.getPredictLog().getRequest().getModelSpec().getSignatureName()).isEqualTo("times_three");
    // [5] fits the signature's [-1, 1]
    assertThat(TensorValue.fromProto(second.getPredictLog().getRequest().getInputsOrThrow("x")).shape()).containsExactly(1, 1);
  }

  @Test
  void tensorFlowsOwnRecordReaderReadsTheFile() throws Exception {
    Path file = exportWithWarmup().resolve(SavedModelExport.WARMUP_FILE);
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      var queue = tf.io.fifoQueue(List.of(TString.class));
      var enqueue = tf.io.queueEnqueue(queue, List.of(tf.constant(file.toString())));
      var close = tf.io.queueClose(queue);
      var reader = tf.io.tfRecordReader();
      var read = tf.io.readerReadUpTo(reader, queue, tf.constant(10L));
      s.runner().addTarget(enqueue).run().close();
      s.runner().addTarget(close).run().close();
      try (Result r = s.runner().fetch(read.values()).run()) {
        TString values = (TString) r.get(0);
        assertThat(values.size()).isEqualTo(2);
        PredictionLog log = PredictionLog.parseFrom(values.asBytes().getObject(1));
        assertThat(log.getPredictLog().getRequest().getModelSpec().getSignatureName()).isEqualTo("times_three");
      }
    }
  }

  @Test
  void corruptRecordIsNamed() throws Exception {
    Path file = exportWithWarmup().resolve(SavedModelExport.WARMUP_FILE);
    byte[] b = Files.readAllBytes(file);
    b[20] ^= 1;
    Path bad = Files.write(tmp.resolve("bad"), b);
    assertThatThrownBy(() -> TfRecords.read(bad)).hasMessageContaining("record 0 has a bad data CRC");
  }

  @Test
  void badWarmupIsRefusedBeforeWriting() {
    var exp = SavedModelExport.from(TestModels.halfPlusTwo(), TestModels.halfPlusTwoValues())
        .signature(SignatureSpec.predict().input("x", "x").output("y", "y"));
    assertThatThrownBy(() -> exp.warmup("serving_default", Map.of("z", 1f)).exportTo(tmp.resolve("w")))
        .hasMessageContaining("warmup request 0").hasMessageContaining("no input 'z'");
    assertThat(tmp.resolve("w")).doesNotExist();
  }
}
