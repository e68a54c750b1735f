package dev.tfkit.server.tensorflow;

import com.google.protobuf.ByteString;
import dev.tfkit.server.util.RequestException;
import io.grpc.Context;
import io.grpc.Deadline;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Merges concurrent Predict requests on the same signature into one session run along the batch
 * dimension (dimension 0) and splits the outputs back, as TF Serving's batching session does on
 * TensorFlow's shared batch scheduler:
 *
 * <ul>
 *   <li>each signature (and output selection) has a queue of batches; a request joins the open
 *       (last) batch when it fits in {@link BatchingOptions#executionBatchSize()} rows, else it
 *       starts a new batch; a request larger than {@code max_batch_size} is refused
 *       (INVALID_ARGUMENT), and one that would need more than {@code max_enqueued_batches}
 *       batches is refused as the queue being full (UNAVAILABLE, TF's status and message);
 *   <li>with {@code enable_large_batch_splitting}, a request first fills the open batch and the
 *       rest goes into new batches of {@code max_execution_batch_size} rows; its outputs are
 *       joined back in order;
 *   <li>a batch runs when it is full, when a newer batch was started behind it, or when its
 *       oldest request has waited {@code batch_timeout_micros};
 *   <li>with {@code allowed_batch_sizes} the merged inputs are padded up to the next allowed size
 *       by repeating the first row of the batch's last request, and the padding rows are dropped
 *       from the outputs;
 *   <li>with {@code pad_variable_length_inputs}, inputs whose dimensions past the first differ are
 *       padded at the end of each dimension up to the batch's largest, with each tensor's own first
 *       value (TF Serving's batching_util); outputs keep the padded shape, as in TF Serving.
 * </ul>
 *
 * <p>Where tfkit is more lenient than TF Serving: a request of a signature without a free batch
 * dimension (a scalar input, say) runs alone rather than failing, and requests whose shapes differ
 * past dimension 0 without {@code pad_variable_length_inputs} run in separate merged runs rather
 * than failing the whole batch.
 */
final class Batcher implements AutoCloseable {
  private final BatchingOptions options;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final Map<String, ArrayDeque<Batch>> queues = new LinkedHashMap<>();
  private final List<Thread> threads = new ArrayList<>();
  private int queuedTasks;
  private long takenBatches;
  private boolean closed;
  private volatile long batches;
  private volatile long batchedTasks;
  private final ConcurrentSkipListMap<Long, AtomicLong> runSizes =
      new ConcurrentSkipListMap<>();

  /** Whether batches pad inputs whose dimensions past the first differ (then smaller ones are valid). */
  boolean padsVariableLengthInputs() {
    return options.padVariableLengthInputs();
  }

  /** One Predict request; split ones collect their parts' outputs here. */
  private static final class Task {
    final SavedModelServable servable;
    final String key;
    final SignatureDef sig;
    final Map<String, TensorProto> inputs;
    final List<String> aliases;
    final long rows;
    final Deadline deadline;
    final CompletableFuture<Map<String, TensorProto>> result = new CompletableFuture<>();
    final List<Map<String, TensorProto>> partOutputs = new ArrayList<>();
    int parts;
    int partsLeft;

    Task(SavedModelServable servable, String key, SignatureDef sig, Map<String, TensorProto> inputs,
        List<String> aliases, long rows, Deadline deadline) {
      this.servable = servable;
      this.key = key;
      this.sig = sig;
      this.inputs = inputs;
      this.aliases = aliases;
      this.rows = rows;
      this.deadline = deadline;
    }
  }

  /** Rows {@code [offset, offset+rows)} of a task, the {@code index}-th part of it. */
  private record Part(Task task, int index, long offset, long rows) {
    boolean whole() {
      return offset == 0 && rows == task.rows;
    }

    /** This part's inputs, packed. */
    Map<String, TensorProto> inputs() {
      Map<String, TensorProto> m = new LinkedHashMap<>();
      for (Map.Entry<String, TensorProto> e : task.inputs.entrySet()) {
        TensorProto p = Tensors.packed(e.getValue());
        m.put(e.getKey(), whole() ? p : slice(p, task.rows, offset, rows));
      }
      return m;
    }
  }

  /** Parts queued to run together; the last batch of a queue is the open one. */
  private static final class Batch {
    final List<Part> parts = new ArrayList<>();
    final long startNanos = System.nanoTime();
    long size;
  }

  Batcher(BatchingOptions options, String name) {
    this.options = options;
    for (int i = 0; i < options.numBatchThreads(); i++) {
      Thread t = new Thread(this::work, "tfkit-batch-" + name + "-" + i);
      t.setDaemon(true);
      t.start();
      threads.add(t);
    }
  }

  /** Whether this request can join a batch: every input and output has a free batch dimension. */
  boolean accepts(SignatureDef sig, Map<String, TensorProto> inputs) {
    long rows = -1;
    for (Map.Entry<String, TensorProto> e : inputs.entrySet()) {
      TensorShapeProto s = e.getValue().getTensorShape();
      if (s.getDimCount() == 0 || !freeBatchDim(sig.getInputsMap().get(e.getKey()))) {
        return false;
      }
      long d = s.getDim(0).getSize();
      if (rows >= 0 && d != rows) {
        return false;
      }
      rows = d;
    }
    for (TensorInfo out : sig.getOutputsMap().values()) {
      if (!freeBatchDim(out)) {
        return false;
      }
    }
    return rows >= 1;
  }

  private static boolean freeBatchDim(TensorInfo info) {
    return info != null
        && info.hasTensorShape()
        && !info.getTensorShape().getUnknownRank()
        && info.getTensorShape().getDimCount() >= 1
        && info.getTensorShape().getDim(0).getSize() == -1;
  }

  Map<String, TensorProto> submit(
      SavedModelServable servable,
      String signatureName,
      SignatureDef sig,
      Map<String, TensorProto> inputs,
      List<String> aliases) {
    long rows = inputs.values().iterator().next().getTensorShape().getDim(0).getSize();
    if (rows > options.maxBatchSize()) {
      throw RequestException.invalidArgument(
          "Task size " + rows + " is larger than maximum input batch size " + options.maxBatchSize());
    }
    String key = signatureName + "\u0000" + String.join("\u0000", aliases);
    // The caller's deadline (gRPC, or the REST timeout) bounds the wait for the batch and the run.
    Deadline deadline = Context.current().getDeadline();
    Task task = new Task(servable, key, sig, inputs, aliases, rows, deadline);
    lock.lock();
    try {
      if (closed) {
        throw new RequestException(RequestException.Code.UNAVAILABLE, "the model is unloading");
      }
      enqueue(queues.computeIfAbsent(key, k -> new ArrayDeque<>()), task);
      queuedTasks++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    try {
      if (deadline == null) {
        return task.result.get();
      }
      return task.result.get(Math.max(0, deadline.timeRemaining(TimeUnit.NANOSECONDS)), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new RequestException(RequestException.Code.DEADLINE_EXCEEDED, "Deadline Exceeded");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RequestException(RequestException.Code.UNAVAILABLE, "interrupted while batching");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RequestException se) {
        throw se;
      }
      throw RequestException.internal("batched run failed: " + e.getCause(), e.getCause());
    }
  }

  /** Adds {@code task} to its queue as TF's shared batch scheduler does, or refuses it when full. */
  private void enqueue(ArrayDeque<Batch> q, Task task) {
    long exec = options.executionBatchSize();
    long enqueued = Math.max(1, q.size());
    long open = q.isEmpty() ? 0 : q.peekLast().size;
    if (options.enableLargeBatchSplitting()) {
      long capacity = (options.maxEnqueuedBatches() - enqueued) * exec + (exec - open);
      if (task.rows > capacity) {
        throw new RequestException(
            RequestException.Code.UNAVAILABLE,
            "The batch scheduling queue to which this task was submitted is full; task size is "
                + task.rows + " but scheduling capacity is only " + capacity + " (num_enqueued_batches="
                + enqueued + ", max_enqueued_batches=" + options.maxEnqueuedBatches() + ", open_batch_size="
                + open + ", max_execution_batch_size=" + exec + ")");
      }
      long offset = 0;
      int index = 0;
      while (offset < task.rows) {
        if (q.isEmpty() || q.peekLast().size >= exec) {
          q.addLast(new Batch());
        }
        Batch b = q.peekLast();
        long take = Math.min(exec - b.size, task.rows - offset);
        b.parts.add(new Part(task, index++, offset, take));
        b.size += take;
        offset += take;
      }
      task.parts = index;
      task.partsLeft = index;
      for (int i = 0; i < index; i++) {
        task.partOutputs.add(null);
      }
      return;
    }
    if (open + task.rows > exec && enqueued >= options.maxEnqueuedBatches()) {
      throw new RequestException(
          RequestException.Code.UNAVAILABLE,
          "The batch scheduling queue to which this task was submitted is full; currently "
              + enqueued + " batches enqueued and max_enqueued_batches is " + options.maxEnqueuedBatches());
    }
    if (q.isEmpty() || open + task.rows > exec) {
      q.addLast(new Batch());
    }
    Batch b = q.peekLast();
    b.parts.add(new Part(task, 0, 0, task.rows));
    b.size += task.rows;
    task.parts = 1;
    task.partsLeft = 1;
    task.partOutputs.add(null);
  }

  private void work() {
    while (true) {
      Batch batch = next();
      if (batch == null) {
        return;
      }
      try {
        run(batch.parts);
      } catch (RuntimeException e) {
        // Never lose a request: whatever escaped fails the requests still waiting.
        batch.parts.forEach(p -> p.task().result.completeExceptionally(e));
      }
    }
  }

  /**
   * Waits for a batch that may run (a closed one, a full one, or one whose oldest request waited
   * the batch timeout), the oldest first, and takes it; null when closed.
   */
  private Batch next() {
    lock.lock();
    try {
      while (true) {
        if (closed) {
          return null;
        }
        long now = System.nanoTime();
        ArrayDeque<Batch> ready = null;
        long wait = Long.MAX_VALUE;
        for (ArrayDeque<Batch> q : queues.values()) {
          Batch head = q.peekFirst();
          if (head == null) {
            continue;
          }
          long due = head.startNanos + TimeUnit.MICROSECONDS.toNanos(options.batchTimeoutMicros());
          boolean runnable = q.size() >= 2 || head.size >= options.executionBatchSize() || due - now <= 0;
          if (runnable) {
            if (ready == null || head.startNanos - ready.peekFirst().startNanos < 0) {
              ready = q;
            }
          } else {
            wait = Math.min(wait, due - now);
          }
        }
        if (ready == null) {
          if (wait == Long.MAX_VALUE) {
            changed.await();
          } else {
            changed.awaitNanos(wait);
          }
          continue;
        }
        Batch b = ready.pollFirst();
        takenBatches++;
        queuedTasks -= (int) b.parts.stream().filter(p -> p.index() == p.task().parts - 1).count();
        return b;
      }
    } catch (InterruptedException e) {
      return null;
    } finally {
      lock.unlock();
    }
  }

  private void run(List<Part> queued) {
    // Requests whose caller gave up while queued are not run at all.
    List<Part> parts = new ArrayList<>();
    for (Part p : queued) {
      Task t = p.task();
      if (t.result.isDone()) {
        continue; // an earlier part of it failed
      }
      if (t.deadline != null && t.deadline.isExpired()) {
        t.result.completeExceptionally(
            new RequestException(RequestException.Code.DEADLINE_EXCEEDED, "Deadline Exceeded"));
      } else {
        parts.add(p);
      }
    }
    if (parts.isEmpty()) {
      return;
    }
    if (options.padVariableLengthInputs()) {
      runMerged(parts, true);
      return;
    }
    // Without padding, only tensors that agree past dimension 0 can be stacked: run each shape
    // group as its own merged run (TF Serving fails the whole batch instead).
    Map<List<List<Long>>, List<Part>> groups = new LinkedHashMap<>();
    for (Part p : parts) {
      groups.computeIfAbsent(rowShapes(p.task()), k -> new ArrayList<>()).add(p);
    }
    for (List<Part> g : groups.values()) {
      runMerged(g, true);
    }
  }

  /** The dimensions past the first of every input of {@code t}, in input order. */
  private static List<List<Long>> rowShapes(Task t) {
    List<List<Long>> shapes = new ArrayList<>();
    for (Map.Entry<String, TensorProto> e : new TreeMap<>(t.inputs).entrySet()) {
      List<Long> dims = new ArrayList<>();
      TensorShapeProto s = e.getValue().getTensorShape();
      for (int i = 1; i < s.getDimCount(); i++) {
        dims.add(s.getDim(i).getSize());
      }
      shapes.add(dims);
    }
    return shapes;
  }

  /**
   * Runs {@code parts} as one session run, padded to the next allowed batch size, and hands each
   * part its rows. On a failure other than the deadline, each part is retried in a run of its own
   * when {@code retryAlone}, so one bad request does not fail the others.
   */
  private void runMerged(List<Part> parts, boolean retryAlone) {
    long total = 0;
    for (Part p : parts) {
      total += p.rows();
    }
    long padded = options.paddedSize((int) total);
    Part first = parts.get(0);
    if (parts.size() == 1 && first.whole() && padded == total) {
      // Nothing to merge, pad or split: the plain run (typed outputs, no re-encoding).
      try {
        Task t = first.task();
        Map<String, TensorProto> out = t.servable.runTyped(t.sig, t.inputs, t.aliases, t.deadline);
        count(total);
        t.result.complete(out);
      } catch (RuntimeException e) {
        first.task().result.completeExceptionally(e);
      }
      return;
    }
    try {
      List<Map<String, TensorProto>> inputs = new ArrayList<>();
      for (Part p : parts) {
        inputs.add(p.inputs());
      }
      if (options.padVariableLengthInputs()) {
        padToLargest(inputs);
      }
      Map<String, TensorProto> merged = new HashMap<>();
      for (String name : first.task().inputs.keySet()) {
        List<TensorProto> pieces = new ArrayList<>();
        for (Map<String, TensorProto> in : inputs) {
          pieces.add(in.get(name));
        }
        if (padded > total) {
          // TF Serving pads with the first row of the batch's last request: a valid input row.
          TensorProto last = pieces.get(pieces.size() - 1);
          TensorProto row = slice(last, last.getTensorShape().getDim(0).getSize(), 0, 1);
          for (long i = total; i < padded; i++) {
            pieces.add(row);
          }
        }
        merged.put(name, concat(pieces, padded));
      }
      // The merged run serves every request in it: TensorFlow cancels it at the latest of their
      // deadlines (none when one of them has none).
      Map<String, TensorProto> out =
          first.task().servable.runPacked(first.task().sig, merged, first.task().aliases, latest(parts));
      long offset = 0;
      List<Map<String, TensorProto>> results = new ArrayList<>();
      for (Part p : parts) {
        Map<String, TensorProto> mine = new LinkedHashMap<>();
        for (Map.Entry<String, TensorProto> e : out.entrySet()) {
          if (e.getValue().getTensorShape().getDimCount() == 0
              || e.getValue().getTensorShape().getDim(0).getSize() != padded) {
            throw RequestException.failedPrecondition(
                "Batched output tensor's 0th dimension does not equal the sum of the 0th dimension"
                    + " sizes of the input tensors");
          }
          mine.put(e.getKey(), slice(e.getValue(), padded, offset, p.rows()));
        }
        results.add(mine);
        offset += p.rows();
      }
      count(padded);
      if (parts.size() > 1) {
        batches++;
        batchedTasks += parts.size();
      }
      for (int i = 0; i < parts.size(); i++) {
        deliver(parts.get(i), results.get(i));
      }
    } catch (RuntimeException e) {
      if ((e instanceof RequestException r && r.code() == RequestException.Code.DEADLINE_EXCEEDED)
          || !retryAlone
          || parts.size() == 1) {
        // Cancelled at the latest deadline: every request in it is past its own.
        parts.forEach(p -> p.task().result.completeExceptionally(e));
      } else {
        // One bad merge must not fail the others: run them one by one.
        parts.forEach(p -> runMerged(List.of(p), false));
      }
    }
  }

  private void count(long size) {
    runSizes.computeIfAbsent(size, k -> new AtomicLong()).incrementAndGet();
  }

  /** Hands a part its outputs; a split request completes when its last part arrives. */
  private static void deliver(Part p, Map<String, TensorProto> outputs) {
    Task t = p.task();
    if (t.parts == 1) {
      Map<String, TensorProto> typed = new LinkedHashMap<>();
      outputs.forEach((k, v) -> typed.put(k, Tensors.typed(v)));
      t.result.complete(typed);
      return;
    }
    Map<String, TensorProto> joined = null;
    synchronized (t) {
      t.partOutputs.set(p.index(), outputs);
      if (--t.partsLeft > 0) {
        return;
      }
      joined = new LinkedHashMap<>();
      for (String alias : t.partOutputs.get(0).keySet()) {
        List<TensorProto> pieces = new ArrayList<>();
        for (Map<String, TensorProto> m : t.partOutputs) {
          pieces.add(Tensors.packed(m.get(alias)));
        }
        try {
          joined.put(alias, Tensors.typed(concat(pieces, t.rows)));
        } catch (RuntimeException e) {
          t.result.completeExceptionally(RequestException.internal(
              "joining the outputs of a split request failed: " + e.getMessage(), e));
          return;
        }
      }
    }
    t.result.complete(joined);
  }

  /** The latest deadline of the requests in {@code parts}, or null when one of them has none. */
  static Deadline latest(List<Part> parts) {
    Deadline latest = null;
    for (Part p : parts) {
      Deadline d = p.task().deadline;
      if (d == null) {
        return null;
      }
      latest = latest == null ? d : latest.isBefore(d) ? d : latest;
    }
    return latest;
  }

  /**
   * Pads each input, in every dimension past the first, up to the largest size any part has there,
   * with the tensor's own first value, as TF Serving's batching_util does (ranks 1 to 6).
   */
  private static void padToLargest(List<Map<String, TensorProto>> inputs) {
    for (String name : inputs.get(0).keySet()) {
      int rank = inputs.get(0).get(name).getTensorShape().getDimCount();
      long[] max = new long[rank];
      for (Map<String, TensorProto> in : inputs) {
        TensorShapeProto s = in.get(name).getTensorShape();
        if (s.getDimCount() != rank) {
          throw RequestException.invalidArgument(
              "input '" + name + "' has rank " + s.getDimCount() + " in one request and " + rank + " in another");
        }
        for (int i = 1; i < rank; i++) {
          max[i] = Math.max(max[i], s.getDim(i).getSize());
        }
      }
      for (Map<String, TensorProto> in : inputs) {
        TensorProto t = in.get(name);
        boolean differs = false;
        for (int i = 1; i < rank; i++) {
          differs |= t.getTensorShape().getDim(i).getSize() != max[i];
        }
        if (differs) {
          if (rank > 6) {
            throw RequestException.invalidArgument("Only tensors with rank from 1 to 6 can be padded.");
          }
          in.put(name, pad(t, max));
        }
      }
    }
  }

  /** {@code t} (packed) grown at the end of dimensions 1.. to {@code dims}, filled with its first value. */
  static TensorProto pad(TensorProto t, long[] dims) {
    TensorShapeProto shape = t.getTensorShape();
    int rank = shape.getDimCount();
    long[] from = new long[rank];
    long count = 1;
    for (int i = 0; i < rank; i++) {
      from[i] = shape.getDim(i).getSize();
      count *= from[i];
    }
    long[] to = dims.clone();
    to[0] = from[0];
    long outCount = 1;
    for (long d : to) {
      outCount = Math.multiplyExact(outCount, d);
    }
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : to) {
      s.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(t.getDtype()).setTensorShape(s);
    boolean strings = t.getStringValCount() > 0;
    if (count == 0) {
      throw RequestException.invalidArgument("cannot pad an empty tensor: it has no value to pad with");
    }
    int elem = strings ? 1 : (int) (t.getTensorContent().size() / count);
    byte[] src = strings ? null : t.getTensorContent().toByteArray();
    byte[] dst = strings ? null : new byte[Math.toIntExact(outCount * elem)];
    List<ByteString> srcStrings = strings ? t.getStringValList() : null;
    List<ByteString> dstStrings = strings ? new ArrayList<>() : null;
    long[] idx = new long[rank];
    for (long o = 0; o < outCount; o++) {
      // idx: the output position; inside the source's bounds it copies, outside it pads.
      boolean inside = true;
      long srcOffset = 0;
      for (int i = 0; i < rank; i++) {
        inside &= idx[i] < from[i];
        srcOffset = srcOffset * from[i] + idx[i];
      }
      long sourceElement = inside ? srcOffset : 0;
      if (strings) {
        dstStrings.add(srcStrings.get((int) sourceElement));
      } else {
        System.arraycopy(src, (int) (sourceElement * elem), dst, (int) (o * elem), elem);
      }
      for (int i = rank - 1; i >= 0; i--) {
        if (++idx[i] < to[i]) {
          break;
        }
        idx[i] = 0;
      }
    }
    return strings ? b.addAllStringVal(dstStrings).build() : b.setTensorContent(ByteString.copyFrom(dst)).build();
  }

  /** Joins tensors along dimension 0. */
  static TensorProto concat(List<TensorProto> parts, long rows) {
    TensorProto first = Tensors.packed(parts.get(0));
    TensorShapeProto.Builder shape = first.getTensorShape().toBuilder();
    shape.setDim(0, shape.getDim(0).toBuilder().setSize(rows));
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(first.getDtype()).setTensorShape(shape);
    if (first.getStringValCount() > 0 || first.getTensorContent().isEmpty()) {
      for (TensorProto p : parts) {
        b.addAllStringVal(Tensors.packed(p).getStringValList());
      }
      if (b.getStringValCount() > 0) {
        return b.build();
      }
    }
    ByteString.Output content = ByteString.newOutput();
    for (TensorProto p : parts) {
      ByteString c = Tensors.packed(p).getTensorContent();
      content.write(c.toByteArray(), 0, c.size());
    }
    return b.setTensorContent(content.toByteString()).build();
  }

  /** Rows {@code [offset, offset+count)} of a packed tensor with {@code total} rows. */
  static TensorProto slice(TensorProto t, long total, long offset, long count) {
    TensorShapeProto shape = t.getTensorShape();
    if (shape.getDimCount() == 0 || shape.getDim(0).getSize() != total) {
      throw new IllegalStateException("output does not keep the batch dimension");
    }
    TensorShapeProto.Builder s = shape.toBuilder();
    s.setDim(0, s.getDim(0).toBuilder().setSize(count));
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(t.getDtype()).setTensorShape(s);
    if (t.getStringValCount() > 0) {
      int per = (int) (t.getStringValCount() / total);
      b.addAllStringVal(
          t.getStringValList().subList((int) (offset * per), (int) ((offset + count) * per)));
    } else if (!t.getTensorContent().isEmpty()) {
      long per = t.getTensorContent().size() / total;
      b.setTensorContent(t.getTensorContent().substring((int) (offset * per), (int) ((offset + count) * per)));
    }
    return b.build();
  }

  /** How many merged runs served more than one request, and how many requests they served. */
  long[] stats() {
    return new long[] {batches, batchedTasks};
  }

  /** How many session runs had each batch size (after padding): shows padding and splitting. */
  Map<Long, Long> runSizes() {
    Map<Long, Long> m = new TreeMap<>();
    runSizes.forEach((k, v) -> m.put(k, v.get()));
    return m;
  }

  /** How many batches the batch threads have taken from the queues so far. */
  long takenBatches() {
    lock.lock();
    try {
      return takenBatches;
    } finally {
      lock.unlock();
    }
  }

  /** Requests queued and not yet taken by a batch thread. */
  int queuedTasks() {
    lock.lock();
    try {
      return queuedTasks;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    Set<Task> orphans = new LinkedHashSet<>();
    lock.lock();
    try {
      closed = true;
      queues.values().forEach(q -> q.forEach(b -> b.parts.forEach(p -> orphans.add(p.task()))));
      queues.clear();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    // Requests still queued run alone, whole, on the closing thread before the model goes away.
    for (Task t : orphans) {
      try {
        t.result.complete(t.servable.runTyped(t.sig, t.inputs, t.aliases, t.deadline));
      } catch (RuntimeException e) {
        t.result.completeExceptionally(e);
      }
    }
    for (Thread t : threads) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
