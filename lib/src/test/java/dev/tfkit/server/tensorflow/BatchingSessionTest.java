package dev.tfkit.server.tensorflow;

import static dev.tfkit.testing.TestTensors.floatMatrix;
import static dev.tfkit.testing.TestTensors.floatScalar;
import static dev.tfkit.testing.TestTensors.floatVector;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfkit.savedmodel.SavedModelExport;
import dev.tfkit.savedmodel.SignatureSpec;
import dev.tfkit.server.api.ServerConfigs;
import dev.tfkit.server.lifecycle.ServableId;
import dev.tfkit.server.util.RequestException;
import io.grpc.Context;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.io.FifoQueue;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * TF Serving's batching session semantics: allowed_batch_sizes padding, variable-length padding,
 * large-batch splitting and the full queue, on a real TensorFlow model. The model's default
 * signature reports, per row, the row's sum and the batch size and width of the session run that
 * computed it, so padding and splitting are seen in the answers. Its {@code wait} signature (also
 * batched) blocks on a queue until {@code push} feeds it: with one batch thread, a waiting run
 * holds every other batch in the queue, which makes batch formation deterministic without timing.
 */
class BatchingSessionTest {
  @TempDir Path tmp;

  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private SavedModelLoader loader;
  private SavedModelServable servable;
  private final ServableId id = new ServableId("probe", 1);

  @AfterEach
  void tearDown() {
    if (servable != null) {
      // Unblock a wait left over by a failed test so that unloading does not wait for it.
      servable.predict("push", Map.of("v", floatScalar(0)), List.of());
      loader.unload(id, servable);
    }
    pool.shutdownNow();
    timer.shutdownNow();
  }

  private Path model() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, -1)));
      var sum = tf.withName("sum").reduceSum(x, tf.constant(1));
      Operand<TInt32> shape = tf.shape(x);
      var zero = tf.math.mul(sum, tf.constant(0f));
      var batch = tf.dtypes.cast(tf.gather(shape, tf.constant(0), tf.constant(0)), TFloat32.class);
      var width = tf.dtypes.cast(tf.gather(shape, tf.constant(1), tf.constant(0)), TFloat32.class);
      tf.withName("rows").math.add(zero, batch);
      tf.withName("width").math.add(zero, width);
      var q = tf.withName("queue").io.fifoQueue(List.of(TFloat32.class),
          FifoQueue.sharedName("probe"), FifoQueue.capacity(64L), FifoQueue.shapes(List.of(Shape.scalar())));
      var w = tf.withName("w").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
      var got = tf.io.queueDequeue(q, List.of(TFloat32.class));
      @SuppressWarnings("unchecked")
      var one = tf.ensureShape((Operand<TFloat32>) got.components().get(0), Shape.scalar());
      tf.withName("waited").math.add(w, one);
      var v = tf.withName("v").placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
      var push = tf.io.queueEnqueue(q, List.of(v));
      tf.withControlDependencies(List.of(push)).withName("pushed").identity(v);
      return SavedModelExport.from(g)
          .signature(SignatureSpec.predict().input("x", "x")
              .output("sum", "sum").output("rows", "rows").output("width", "width"))
          .signature("wait", SignatureSpec.predict().input("w", "w").output("w", "waited"))
          .signature("push", SignatureSpec.predict().input("v", "v").output("v", "pushed"))
          .exportTo(tmp.resolve("probe/1"));
    }
  }

  private SavedModelServable load(BatchingOptions options) throws Exception {
    loader = new SavedModelLoader(new InputValidator(), Optional.ofNullable(options), false);
    servable = loader.load(id, tmp.resolve("probe/1"));
    return servable;
  }

  /** {@code rows} rows of {@code width} values: row i holds base + i*width + j. */
  private static float[][] rows(int n, int width, float base) {
    float[][] r = new float[n][width];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < width; j++) {
        r[i][j] = base + i * width + j;
      }
    }
    return r;
  }

  /** Runs a predict on another thread under a 60 s deadline (so a broken batcher fails, not hangs). */
  private Future<Map<String, TensorProto>> predictLater(String signature, String input, TensorProto value) {
    Callable<Map<String, TensorProto>> call = () -> servable.predict(signature, Map.of(input, value), List.of());
    return pool.submit(() -> Context.current().withDeadlineAfter(60, TimeUnit.SECONDS, timer).call(call));
  }

  /** Blocks the one batch thread on a {@code wait} run; returns that run's future. */
  private Future<Map<String, TensorProto>> blockBatchThread() throws Exception {
    long taken = servable.batchesTaken();
    Future<Map<String, TensorProto>> waiting = predictLater("wait", "w", floatVector(1f));
    // The batch thread took it: it is in (or about to enter) the blocking dequeue.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (servable.batchesTaken() == taken) {
      if (System.nanoTime() > until) {
        throw new AssertionError("the wait request was never taken");
      }
      Thread.sleep(5);
    }
    return waiting;
  }

  private void awaitQueued(int n) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (servable.batchQueuedRequests() != n) {
      if (System.nanoTime() > until) {
        throw new AssertionError("never saw " + n + " queued requests: " + servable.batchQueuedRequests());
      }
      Thread.sleep(5);
    }
  }

  /**
   * Holds the batch thread, queues {@code inputs} in order (each a predict of {@code x}), then lets
   * the thread go on with {@code push}: returns the held run's answer, then each input's.
   */
  private List<Map<String, TensorProto>> queuedBehindHeldBatch(float push, float[][]... inputs) throws Exception {
    Future<Map<String, TensorProto>> waiting = blockBatchThread();
    List<Future<Map<String, TensorProto>>> queued = new ArrayList<>();
    for (float[][] input : inputs) {
      queued.add(predictLater("", "x", floatMatrix(input)));
      awaitQueued(queued.size());
    }
    servable.predict("push", Map.of("v", floatScalar(push)), List.of());
    List<Map<String, TensorProto>> out = new ArrayList<>();
    out.add(waiting.get());
    for (Future<Map<String, TensorProto>> f : queued) {
      out.add(f.get());
    }
    return out;
  }

  private static List<Float> floats(Map<String, TensorProto> out, String name) {
    return out.get(name).getFloatValList();
  }

  private static List<Float> sums(float[][] rows) {
    List<Float> s = new ArrayList<>();
    for (float[] r : rows) {
      float t = 0;
      for (float f : r) {
        t += f;
      }
      s.add(t);
    }
    return s;
  }

  @Test
  void mergedBatchIsPaddedToTheNextAllowedSizeAndThePaddingDropped() throws Exception {
    model();
    load(new BatchingOptions(8, 0, 1, 100, List.of(2, 4, 8), false, false, 0));
    // While the batch thread waits, 1 + 2 rows queue up in one open batch: they run as one
    // session run of 3 rows, padded to 4.
    float[][] a = rows(1, 3, 0);
    float[][] b = rows(2, 3, 100);
    List<Map<String, TensorProto>> answers = queuedBehindHeldBatch(10, a, b);
    assertThat(floats(answers.get(0), "w")).containsExactly(11f);
    Map<String, TensorProto> ra = answers.get(1);
    Map<String, TensorProto> rb = answers.get(2);
    assertThat(floats(ra, "sum")).isEqualTo(sums(a));
    assertThat(floats(rb, "sum")).isEqualTo(sums(b));
    assertThat(floats(ra, "rows")).as("the run's batch size, padded from 3").containsExactly(4f);
    assertThat(floats(rb, "rows")).containsExactly(4f, 4f);
    assertThat(ra.get("sum").getTensorShape().getDim(0).getSize()).as("padding rows dropped").isEqualTo(1);
    assertThat(rb.get("sum").getTensorShape().getDim(0).getSize()).isEqualTo(2);
    assertThat(servable.batchRunSizes()).containsEntry(4L, 1L).doesNotContainKey(3L);
    // A lone 5-row request is padded to 8 too.
    float[][] c = rows(5, 3, 7);
    Map<String, TensorProto> rc = predictLater("", "x", floatMatrix(c)).get();
    assertThat(floats(rc, "sum")).isEqualTo(sums(c));
    assertThat(floats(rc, "rows")).containsOnly(8f).hasSize(5);
  }

  @Test
  void answersAreTheSameWithAndWithoutBatching() throws Exception {
    model();
    List<float[][]> requests = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      requests.add(rows(1 + i % 4, 3, i * 10 - 50));
    }
    List<List<Float>> alone = new ArrayList<>();
    load(null);
    for (float[][] r : requests) {
      alone.add(floats(servable.predict("", Map.of("x", floatMatrix(r)), List.of("sum")), "sum"));
    }
    loader.unload(id, servable);
    servable = null;
    load(new BatchingOptions(8, 5_000, 2, 100, List.of(2, 4), false, true, 4));
    List<Future<Map<String, TensorProto>>> futures = new ArrayList<>();
    for (float[][] r : requests) {
      futures.add(predictLater("", "x", floatMatrix(r)));
    }
    for (int i = 0; i < requests.size(); i++) {
      assertThat(floats(futures.get(i).get(), "sum")).as("request %d", i).isEqualTo(alone.get(i)).isEqualTo(sums(requests.get(i)));
    }
  }

  @Test
  void aRequestLargerThanTheExecutionBatchIsSplitAndReassembled() throws Exception {
    model();
    load(new BatchingOptions(16, 0, 1, 100, List.of(2, 4), false, true, 4));
    float[][] big = rows(11, 3, -20);
    Map<String, TensorProto> out = predictLater("", "x", floatMatrix(big)).get();
    assertThat(floats(out, "sum")).isEqualTo(sums(big));
    assertThat(out.get("sum").getTensorShape().getDim(0).getSize()).isEqualTo(11);
    // 11 rows ran as 4 + 4 + 3 (padded to 4): every row saw a run of 4.
    assertThat(floats(out, "rows")).containsOnly(4f).hasSize(11);
    assertThat(servable.batchRunSizes()).containsExactly(Map.entry(4L, 3L));

    // The first part of a split request fills the open batch: 3 queued rows + 5 rows = 4 + 4.
    float[][] a = rows(3, 3, 0);
    float[][] b = rows(5, 3, 50);
    List<Map<String, TensorProto>> answers = queuedBehindHeldBatch(0, a, b);
    assertThat(floats(answers.get(1), "sum")).isEqualTo(sums(a));
    assertThat(floats(answers.get(2), "sum")).isEqualTo(sums(b));
    // Two more runs of 4 (not 3 + 5 apart), and the 1-row wait run, padded to 2.
    assertThat(servable.batchRunSizes()).containsExactly(Map.entry(2L, 1L), Map.entry(4L, 5L));
  }

  @Test
  void withoutSplittingARequestOverMaxBatchSizeIsRefusedAsTfServingDoes() throws Exception {
    model();
    load(new BatchingOptions(4, 0, 1, 100));
    assertThatThrownBy(() -> servable.predict("", Map.of("x", floatMatrix(rows(5, 2, 0))), List.of()))
        .isInstanceOfSatisfying(RequestException.class,
            e -> assertThat(e.code()).isEqualTo(RequestException.Code.INVALID_ARGUMENT))
        .hasMessage("Task size 5 is larger than maximum input batch size 4");
  }

  @Test
  void variableLengthInputsArePaddedWithTheTensorsFirstValue() throws Exception {
    model();
    load(new BatchingOptions(8, 0, 1, 100, List.of(), true, false, 0));
    float[][] a = {{1, 2, 3}};
    float[][] b = {{4, 5}, {6, 7}};
    List<Map<String, TensorProto>> answers = queuedBehindHeldBatch(0, a, b);
    assertThat(floats(answers.get(1), "sum")).containsExactly(6f);
    // b's rows grew to width 3 with b's first value, 4: [4,5,4] and [6,7,4].
    assertThat(floats(answers.get(2), "width")).containsExactly(3f, 3f);
    assertThat(floats(answers.get(2), "sum")).containsExactly(13f, 17f);
    assertThat(floats(answers.get(2), "rows")).containsExactly(3f, 3f);
  }

  @Test
  void withoutVariableLengthPaddingDifferentWidthsRunApart() throws Exception {
    model();
    load(new BatchingOptions(8, 0, 1, 100));
    float[][] a = {{1, 2, 3}};
    float[][] b = {{4, 5}, {6, 7}};
    List<Map<String, TensorProto>> answers = queuedBehindHeldBatch(0, a, b);
    assertThat(floats(answers.get(1), "sum")).containsExactly(6f);
    assertThat(floats(answers.get(2), "sum")).containsExactly(9f, 13f);
    assertThat(floats(answers.get(2), "width")).containsExactly(2f, 2f);
  }

  @Test
  void aFullQueueRefusesTheRequestWithTfServingsStatusAndMessage() throws Exception {
    model();
    // One batch of at most 2 rows may wait: while the thread is blocked, 2 rows fill it and the
    // next request would need a second batch.
    load(new BatchingOptions(2, 0, 1, 1));
    Future<Map<String, TensorProto>> waiting = blockBatchThread();
    Future<Map<String, TensorProto>> queued = predictLater("", "x", floatMatrix(rows(2, 2, 0)));
    awaitQueued(1);
    assertThatThrownBy(() -> servable.predict("", Map.of("x", floatMatrix(rows(1, 2, 0))), List.of()))
        .isInstanceOfSatisfying(RequestException.class,
            e -> assertThat(e.code()).isEqualTo(RequestException.Code.UNAVAILABLE))
        .hasMessageStartingWith("The batch scheduling queue to which this task was submitted is full")
        .hasMessageContaining("max_enqueued_batches is 1");
    servable.predict("push", Map.of("v", floatScalar(0)), List.of());
    waiting.get();
    assertThat(floats(queued.get(), "sum")).containsExactly(1f, 5f);
    // With room again, the same request is served.
    assertThat(floats(servable.predict("", Map.of("x", floatMatrix(rows(1, 2, 0))), List.of()), "sum")).containsExactly(1f);
  }

  @Test
  void aFullQueueRefusesASplitRequestItCannotHold() throws Exception {
    model();
    load(new BatchingOptions(16, 0, 1, 2, List.of(), false, true, 4));
    Future<Map<String, TensorProto>> waiting = blockBatchThread();
    Future<Map<String, TensorProto>> queued = predictLater("", "x", floatMatrix(rows(5, 2, 0)));
    awaitQueued(1);
    // 5 rows hold 2 batches (4 + 1): 3 more rows of room, so 4 rows are refused and 3 are not.
    assertThatThrownBy(() -> servable.predict("", Map.of("x", floatMatrix(rows(4, 2, 0))), List.of()))
        .isInstanceOfSatisfying(RequestException.class,
            e -> assertThat(e.code()).isEqualTo(RequestException.Code.UNAVAILABLE))
        .hasMessageContaining("is full; task size is 4 but scheduling capacity is only 3");
    Future<Map<String, TensorProto>> fits = predictLater("", "x", floatMatrix(rows(3, 2, 0)));
    awaitQueued(2);
    servable.predict("push", Map.of("v", floatScalar(0)), List.of());
    waiting.get();
    assertThat(floats(queued.get(), "sum")).isEqualTo(sums(rows(5, 2, 0)));
    assertThat(floats(fits.get(), "sum")).isEqualTo(sums(rows(3, 2, 0)));
  }

  @Test
  void configErrorsNameTheField() throws Exception {
    assertThatThrownBy(() -> new BatchingOptions(8, 0, 1, 100, List.of(2, 4), false, false, 0))
        .hasMessageContaining("allowed_batch_sizes").hasMessageContaining("max_batch_size")
        .hasMessageContaining("expected 8");
    assertThatThrownBy(() -> new BatchingOptions(8, 0, 1, 100, List.of(4, 2, 8), false, false, 0))
        .hasMessageContaining("allowed_batch_sizes").hasMessageContaining("increasing");
    assertThatThrownBy(() -> new BatchingOptions(16, 0, 1, 100, List.of(2, 8), false, true, 4))
        .hasMessageContaining("allowed_batch_sizes").hasMessageContaining("max_execution_batch_size")
        .hasMessageContaining("expected 4");
    assertThatThrownBy(() -> new BatchingOptions(4, 0, 1, 100, List.of(), false, true, 8))
        .hasMessageContaining("max_execution_batch_size").hasMessageContaining("max_batch_size");
    assertThatThrownBy(() -> new BatchingOptions(4, 0, 1, 0))
        .hasMessageContaining("max_enqueued_batches");

    Path ok = tmp.resolve("ok.config");
    Files.writeString(ok, String.join("\n",
        "max_batch_size { value: 64 }",
        "enable_large_batch_splitting { value: true }",
        "max_execution_batch_size { value: 16 }",
        "allowed_batch_sizes: 4", "allowed_batch_sizes: 16",
        "pad_variable_length_inputs: true", ""));
    BatchingOptions read = ServerConfigs.readBatching(ok);
    assertThat(read.maxBatchSize()).isEqualTo(64);
    assertThat(read.executionBatchSize()).isEqualTo(16);
    assertThat(read.allowedBatchSizes()).containsExactly(4, 16);
    assertThat(read.padVariableLengthInputs()).isTrue();
    Path bad = tmp.resolve("bad.config");
    Files.writeString(bad, String.join("\n",
        "max_batch_size { value: 64 }",
        "enable_large_batch_splitting { value: true }",
        "max_execution_batch_size { value: 16 }",
        "allowed_batch_sizes: 4", "allowed_batch_sizes: 64", ""));
    assertThatThrownBy(() -> ServerConfigs.readBatching(bad))
        .hasMessageContaining("bad.config").hasMessageContaining("allowed_batch_sizes")
        .hasMessageContaining("max_execution_batch_size (16)");
    Path noExec = tmp.resolve("noexec.config");
    Files.writeString(noExec, "max_batch_size { value: 8 }\nenable_large_batch_splitting { value: true }\n");
    assertThat(ServerConfigs.readBatching(noExec).executionBatchSize()).as("defaults to max_batch_size").isEqualTo(8);
  }
}
