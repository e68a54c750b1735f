package dev.tfkit.server.tensorflow;

import com.google.protobuf.ByteString;
import dev.tfkit.server.RequestException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Merges concurrent Predict requests on the same signature into one session run along the batch
 * dimension (dimension 0) and splits the outputs back, like TF Serving's batching session. Requests
 * whose signature has no batch dimension run alone.
 */
final class Batcher implements AutoCloseable {
  private final BatchingOptions options;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final Map<String, ArrayDeque<Task>> queues = new LinkedHashMap<>();
  private final List<Thread> threads = new ArrayList<>();
  private int queued;
  private boolean closed;
  private volatile long batches;
  private volatile long batchedTasks;

  private record Task(
      SavedModelServable servable,
      String key,
      SignatureDef sig,
      Map<String, TensorProto> inputs,
      List<String> aliases,
      long rows,
      long enqueuedNanos,
      io.grpc.Deadline deadline,
      CompletableFuture<Map<String, TensorProto>> result) {}

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
    return rows >= 1 && rows <= options.maxBatchSize();
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
    String key = signatureName + "\u0000" + String.join("\u0000", aliases);
    // The caller's deadline (gRPC, or the REST timeout) bounds the wait for the batch and the run.
    io.grpc.Deadline deadline = io.grpc.Context.current().getDeadline();
    Task task =
        new Task(
            servable, key, sig, inputs, aliases, rows, System.nanoTime(), deadline, new CompletableFuture<>());
    lock.lock();
    try {
      if (closed) {
        throw new RequestException(RequestException.Code.UNAVAILABLE, "the model is unloading");
      }
      if (queued >= (long) options.maxEnqueuedBatches() * options.maxBatchSize()) {
        throw new RequestException(
            RequestException.Code.UNAVAILABLE,
            "The batch scheduling queue to which this task was submitted is full");
      }
      queues.computeIfAbsent(key, k -> new ArrayDeque<>()).add(task);
      queued++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    try {
      if (deadline == null) {
        return task.result().get();
      }
      return task.result().get(Math.max(0, deadline.timeRemaining(TimeUnit.NANOSECONDS)), TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
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

  private void work() {
    while (true) {
      List<Task> batch = next();
      if (batch == null) {
        return;
      }
      run(batch);
    }
  }

  /** Waits for the oldest queue's batch to fill or time out, then takes it; null when closed. */
  private List<Task> next() {
    lock.lock();
    try {
      while (true) {
        if (closed) {
          return null;
        }
        ArrayDeque<Task> oldest = null;
        for (ArrayDeque<Task> q : queues.values()) {
          if (!q.isEmpty() && (oldest == null || q.peek().enqueuedNanos() < oldest.peek().enqueuedNanos())) {
            oldest = q;
          }
        }
        if (oldest == null) {
          changed.await();
          continue;
        }
        long rows = oldest.stream().mapToLong(Task::rows).sum();
        long deadline = oldest.peek().enqueuedNanos() + options.batchTimeoutMicros() * 1000;
        long wait = deadline - System.nanoTime();
        if (rows < options.maxBatchSize() && wait > 0) {
          changed.awaitNanos(wait);
          continue;
        }
        List<Task> batch = new ArrayList<>();
        long taken = 0;
        while (!oldest.isEmpty() && taken + oldest.peek().rows() <= options.maxBatchSize()) {
          Task t = oldest.poll();
          taken += t.rows();
          batch.add(t);
        }
        queued -= batch.size();
        return batch;
      }
    } catch (InterruptedException e) {
      return null;
    } finally {
      lock.unlock();
    }
  }

  private void run(List<Task> queuedBatch) {
    // Requests whose caller gave up while queued are not run at all.
    List<Task> batch = new ArrayList<>();
    for (Task t : queuedBatch) {
      if (t.deadline() != null && t.deadline().isExpired()) {
        t.result()
            .completeExceptionally(
                new RequestException(RequestException.Code.DEADLINE_EXCEEDED, "Deadline Exceeded"));
      } else {
        batch.add(t);
      }
    }
    if (batch.isEmpty()) {
      return;
    }
    Task first = batch.get(0);
    if (batch.size() == 1) {
      runAlone(first);
      return;
    }
    if (!sameRowShapes(batch)) {
      batch.forEach(Batcher::runAlone);
      return;
    }
    try {
      long total = 0;
      for (Task t : batch) {
        total += t.rows();
      }
      Map<String, TensorProto> merged = new HashMap<>();
      for (String name : first.inputs().keySet()) {
        List<TensorProto> parts = new ArrayList<>();
        for (Task t : batch) {
          parts.add(t.inputs().get(name));
        }
        merged.put(name, concat(parts, total));
      }
      // The merged run serves every request in it: TensorFlow cancels it at the latest of their
      // deadlines (none when one of them has none).
      Map<String, TensorProto> out =
          first.servable().runPacked(first.sig(), merged, first.aliases(), latest(batch));
      long offset = 0;
      List<Map<String, TensorProto>> results = new ArrayList<>();
      for (Task t : batch) {
        Map<String, TensorProto> mine = new LinkedHashMap<>();
        for (Map.Entry<String, TensorProto> e : out.entrySet()) {
          mine.put(e.getKey(), Tensors.typed(slice(e.getValue(), total, offset, t.rows())));
        }
        results.add(mine);
        offset += t.rows();
      }
      batches++;
      batchedTasks += batch.size();
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).result().complete(results.get(i));
      }
    } catch (RuntimeException e) {
      if (e instanceof RequestException r && r.code() == RequestException.Code.DEADLINE_EXCEEDED) {
        // Cancelled at the latest deadline: every request in it is past its own.
        batch.forEach(t -> t.result().completeExceptionally(e));
      } else {
        // One bad merge must not fail the others: run them one by one.
        batch.forEach(Batcher::runAlone);
      }
    }
  }

  private static void runAlone(Task t) {
    complete(t, () -> t.servable().runTyped(t.sig(), t.inputs(), t.aliases(), t.deadline()));
  }

  /** The latest deadline of {@code batch}, or null when a request in it has none. */
  static io.grpc.Deadline latest(List<Task> batch) {
    io.grpc.Deadline latest = null;
    for (Task t : batch) {
      if (t.deadline() == null) {
        return null;
      }
      latest = latest == null ? t.deadline() : latest.isBefore(t.deadline()) ? t.deadline() : latest;
    }
    return latest;
  }

  /** Whether every task's inputs agree beyond dimension 0, so they can be stacked. */
  private static boolean sameRowShapes(List<Task> batch) {
    Task first = batch.get(0);
    for (Task t : batch) {
      for (Map.Entry<String, TensorProto> e : first.inputs().entrySet()) {
        TensorShapeProto a = e.getValue().getTensorShape();
        TensorShapeProto b = t.inputs().get(e.getKey()).getTensorShape();
        if (a.getDimCount() != b.getDimCount()) {
          return false;
        }
        for (int i = 1; i < a.getDimCount(); i++) {
          if (a.getDim(i).getSize() != b.getDim(i).getSize()) {
            return false;
          }
        }
      }
    }
    return true;
  }

  private static void complete(
      Task t, java.util.function.Supplier<Map<String, TensorProto>> work) {
    try {
      t.result().complete(work.get());
    } catch (RuntimeException e) {
      t.result().completeExceptionally(e);
    }
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

  @Override
  public void close() {
    List<Task> orphans = new ArrayList<>();
    lock.lock();
    try {
      closed = true;
      queues.values().forEach(orphans::addAll);
      queues.clear();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    // Requests still queued run alone on the closing thread before the model goes away.
    orphans.forEach(Batcher::runAlone);
    for (Thread t : threads) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
