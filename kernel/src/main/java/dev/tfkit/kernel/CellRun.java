package dev.tfkit.kernel;

import dev.tfkit.kernel.display.MimeBundle;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The outputs of one cell while it runs: in order, stream text coalesced and flushed every 30 ms or
 * so, size-limited, each passed to the cell's {@link EvalListener} as it happens and kept for the
 * cell's {@link EvalResult}.
 */
final class CellRun implements OutputCapture.StreamSink {
  private static final ScheduledExecutorService FLUSHER =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "tfkit-output-flush");
            t.setDaemon(true);
            return t;
          });
  private static final long FLUSH_NANOS = TimeUnit.MILLISECONDS.toNanos(30);
  private final EvalListener listener;
  private final List<CellOutput> outputs = new ArrayList<>();
  private final int maxChars;
  private final StringBuilder buffer = new StringBuilder();
  private String bufferStream;
  private long lastFlush = System.nanoTime();
  private long written;
  private long dropped;
  private volatile boolean finished;
  EvalError error;

  CellRun(EvalListener listener, int maxChars) {
    this.listener = listener;
    this.maxChars = maxChars;
    FLUSHER.schedule(this::tick, 50, TimeUnit.MILLISECONDS);
  }

  private void tick() {
    if (finished) return;
    synchronized (this) {
      if (buffer.length() > 0 && System.nanoTime() - lastFlush >= FLUSH_NANOS) flush();
    }
    FLUSHER.schedule(this::tick, 50, TimeUnit.MILLISECONDS);
  }

  @Override
  public synchronized void write(String stream, String text) {
    if (text.isEmpty()) return;
    if (written >= maxChars) {
      dropped += text.length();
      return;
    }
    if (written + text.length() > maxChars) {
      int keep = (int) (maxChars - written);
      dropped += text.length() - keep;
      text = text.substring(0, keep);
    }
    written += text.length();
    if (bufferStream != null && !bufferStream.equals(stream)) flush();
    bufferStream = stream;
    buffer.append(text);
    if (buffer.length() >= 8192 || (text.indexOf('\n') >= 0 && System.nanoTime() - lastFlush >= FLUSH_NANOS)) {
      flush();
    }
  }

  synchronized void flush() {
    if (buffer.length() > 0) {
      CellOutput.Stream s = new CellOutput.Stream(bufferStream, buffer.toString());
      buffer.setLength(0);
      deliver(s);
    }
    lastFlush = System.nanoTime();
  }

  synchronized void emit(CellOutput o) {
    flush();
    deliver(o);
  }

  private void deliver(CellOutput o) {
    if (!finished) outputs.add(o);
    try {
      listener.output(o);
    } catch (RuntimeException e) {
      // A failing listener must not fail the cell; the output is still in the result.
    }
  }

  @Override
  public String readLine() {
    // What the cell printed so far (its prompt, typically) goes out before the input box.
    flush();
    try {
      return listener.requestInput("", false);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Flushes and stops the periodic flush, without adding a result or error output. */
  synchronized void close() {
    flush();
    finished = true;
  }

  synchronized void fail(EvalError e) {
    if (error == null) error = e;
  }

  synchronized void finish(MimeBundle value) {
    flush();
    if (dropped > 0) {
      String note = "\n[output truncated: " + dropped + " more characters not shown (limit " + maxChars + ")]\n";
      deliver(new CellOutput.Stream("stderr", note));
    }
    if (error != null) deliver(new CellOutput.Error(error));
    else if (value != null) deliver(new CellOutput.Result(value));
    finished = true;
  }

  synchronized EvalResult result(MimeBundle value) {
    return new EvalResult(outputs, Optional.ofNullable(error == null ? value : null), Optional.ofNullable(error));
  }
}
