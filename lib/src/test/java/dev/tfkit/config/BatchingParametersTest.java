package dev.tfkit.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfkit.zoo.Fixtures;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchingParametersTest {

  @TempDir Path tmp;

  @Test
  void writesTfServingTextFormat() {
    BatchingParameters p = BatchingParameters.builder()
        .maxBatchSize(32).batchTimeoutMicros(5000).numBatchThreads(4)
        .allowedBatchSizes(8, 16, 32).build();
    // TF Serving's documented form: wrapper fields as "name { value: N }", unset fields omitted.
    String expected = String.join("\n",
        "max_batch_size {",
        "  value: 32",
        "}",
        "batch_timeout_micros {",
        "  value: 5000",
        "}",
        "num_batch_threads {",
        "  value: 4",
        "}",
        "allowed_batch_sizes: 8",
        "allowed_batch_sizes: 16",
        "allowed_batch_sizes: 32",
        "");
    assertThat(p.toText()).isEqualTo(expected);
  }

  @Test
  void readsTfServingsOwnBatchingFile() {
    BatchingParameters p = BatchingParameters.read(Fixtures.tfServing("batching_config.txt"));
    assertThat(p.maxBatchSize()).hasValue(128);
    assertThat(p.batchTimeoutMicros()).hasValue(0);
    assertThat(p.maxEnqueuedBatches()).hasValue(1000000);
    assertThat(p.numBatchThreads()).hasValue(8);
    assertThat(p.allowedBatchSizes()).isEmpty();
  }

  @Test
  void writeAndReadBackIsEqual() {
    BatchingParameters p = BatchingParameters.builder().maxBatchSize(64).maxEnqueuedBatches(10)
        .threadPoolName("pool").padVariableLengthInputs(true).build();
    Path file = p.write(tmp.resolve("batching.config"));
    assertThat(BatchingParameters.read(file)).isEqualTo(p);
  }

  @Test
  void refusesInvalidParametersNamingThem() {
    assertThatThrownBy(() -> BatchingParameters.builder().maxBatchSize(0).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max_batch_size");
    assertThatThrownBy(() -> BatchingParameters.builder().numBatchThreads(0).build())
        .hasMessageContaining("num_batch_threads");
    assertThatThrownBy(() -> BatchingParameters.builder().maxBatchSize(32).allowedBatchSizes(8, 4, 32).build())
        .hasMessageContaining("increasing");
    assertThatThrownBy(() -> BatchingParameters.builder().maxBatchSize(32).allowedBatchSizes(8, 16).build())
        .hasMessageContaining("end with max_batch_size (32)");
    assertThatThrownBy(() -> BatchingParameters.parse("max_batch_size { value: -1 }", "b.config"))
        .hasMessageContaining("b.config").hasMessageContaining("max_batch_size");
    assertThatThrownBy(() -> BatchingParameters.parse("max_batch_sise { value: 1 }", "b.config"))
        .hasMessageContaining("b.config").hasMessageContaining("line 1").hasMessageContaining("max_batch_sise");
    // With splitting, the allowed sizes end at max_execution_batch_size, which may not exceed max_batch_size.
    assertThatThrownBy(() -> BatchingParameters.builder().maxBatchSize(32).enableLargeBatchSplitting(true)
            .maxExecutionBatchSize(8).allowedBatchSizes(4, 32).build())
        .hasMessageContaining("end with max_execution_batch_size (8)");
    assertThatThrownBy(() -> BatchingParameters.builder().maxBatchSize(8).enableLargeBatchSplitting(true)
            .maxExecutionBatchSize(16).build())
        .hasMessageContaining("max_execution_batch_size (16)").hasMessageContaining("max_batch_size (8)");
  }

  @Test
  void splittingParametersRoundTrip() {
    BatchingParameters p = BatchingParameters.builder().maxBatchSize(32).enableLargeBatchSplitting(true)
        .maxExecutionBatchSize(8).allowedBatchSizes(4, 8).padVariableLengthInputs(true).build();
    String text = p.toText();
    assertThat(text).contains("enable_large_batch_splitting").contains("max_execution_batch_size");
    BatchingParameters back = BatchingParameters.parse(text, "b.config");
    assertThat(back).isEqualTo(p);
    assertThat(back.enableLargeBatchSplitting()).isTrue();
    assertThat(back.maxExecutionBatchSize()).hasValue(8);
    assertThat(back.padVariableLengthInputs()).isTrue();
  }
}
