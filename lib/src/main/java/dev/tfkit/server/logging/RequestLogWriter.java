package dev.tfkit.server.logging;

import dev.tfkit.io.TfRecords;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import tensorflow.serving.PredictionLogOuterClass.PredictionLog;

/**
 * Writes one model's sampled requests to TFRecord files on its own thread, off the requests' path.
 *
 * <p>A file is written as {@code <prefix>.<UTC time>.<pid>.<n>.tfrecord.tmp} and renamed to its
 * final {@code .tfrecord} name when it is finished: at {@link #close()} (server shutdown, or the
 * model's logging config changed) or when it reaches the size limit (the next record starts a new
 * file). A finished file therefore holds only whole records; after a crash only a {@code .tmp}
 * file can end in a torn record. Files are created when the first record arrives.
 */
final class RequestLogWriter {
  static final int DEFAULT_QUEUE_CAPACITY = 4096;
  static final long DEFAULT_MAX_FILE_BYTES = 256L << 20;
  static final String SUFFIX = ".tfrecord";
  static final String IN_PROGRESS = ".tmp";

  private static final System.Logger LOG = System.getLogger("dev.tfkit.server");
  private static final AtomicLong FILE_SEQUENCE = new AtomicLong();
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
  private static final PredictionLog END = PredictionLog.getDefaultInstance();

  private final String model;
  private final Path prefix;
  private final long maxFileBytes;
  private final BlockingQueue<PredictionLog> queue;
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong written = new AtomicLong();
  private final Thread thread;
  private volatile boolean closing;

  private Path current;
  private OutputStream out;
  private long currentBytes;
  private boolean unflushed;
  private long lastErrorNanos = System.nanoTime() - TimeUnit.MINUTES.toNanos(1);

  RequestLogWriter(String model, Path prefix, int queueCapacity, long maxFileBytes) {
    this.model = model;
    this.prefix = prefix;
    this.maxFileBytes = maxFileBytes;
    this.queue = new ArrayBlockingQueue<>(queueCapacity);
    this.thread = new Thread(this::run, "tfkit-request-log-" + model);
    thread.setDaemon(true);
    thread.start();
  }

  /** Queues a record; drops and counts it when the queue is full or the writer is closing. */
  void offer(PredictionLog record) {
    if (closing || !queue.offer(record)) {
      long n = dropped.incrementAndGet();
      if (Long.bitCount(n) == 1) { // 1, 2, 4, 8 ...: a line now and then, not one per drop
        LOG.log(
            System.Logger.Level.WARNING,
            "request log of model '" + model + "': " + n + " record(s) dropped so far (writer behind)");
      }
    }
  }

  long dropped() {
    return dropped.get();
  }

  long written() {
    return written.get();
  }

  /** Writes what is queued, finishes the file and stops the thread (waits up to 30 s). */
  void close() {
    if (closing) {
      return;
    }
    closing = true;
    // The end marker goes after every queued record; wait for room if the queue is full.
    try {
      while (!queue.offer(END, 100, TimeUnit.MILLISECONDS)) {
        if (!thread.isAlive()) {
          return;
        }
      }
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    try {
      while (true) {
        PredictionLog r = queue.poll(200, TimeUnit.MILLISECONDS);
        if (r == END) {
          break;
        }
        if (r == null) {
          flush();
          continue;
        }
        write(r);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      finish();
    }
  }

  private void write(PredictionLog r) {
    byte[] bytes = r.toByteArray();
    try {
      if (out != null && currentBytes > 0 && currentBytes + bytes.length + 16 > maxFileBytes) {
        finish();
      }
      if (out == null) {
        open();
      }
      TfRecords.write(out, bytes);
      currentBytes += bytes.length + 16;
      unflushed = true;
      written.incrementAndGet();
    } catch (IOException e) {
      dropped.incrementAndGet();
      error("writing " + (current != null ? current : prefix), e);
      closeQuietly();
    }
  }

  private void open() throws IOException {
    String name =
        prefix.getFileName()
            + "." + TIME.format(ZonedDateTime.now(ZoneOffset.UTC))
            + "." + ProcessHandle.current().pid()
            + "." + FILE_SEQUENCE.incrementAndGet()
            + SUFFIX;
    current = prefix.resolveSibling(name);
    out =
        new BufferedOutputStream(
            Files.newOutputStream(
                tmp(current), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            1 << 16);
    currentBytes = 0;
  }

  private void flush() {
    if (out != null && unflushed) {
      try {
        out.flush();
        unflushed = false;
      } catch (IOException e) {
        error("writing " + current, e);
        closeQuietly();
      }
    }
  }

  /** Closes the current file and gives it its final name. */
  private void finish() {
    if (out == null) {
      return;
    }
    Path done = current;
    try {
      out.close();
      out = null;
      Files.move(tmp(done), done, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      error("finishing " + done, e);
      closeQuietly();
    }
    current = null;
  }

  private void closeQuietly() {
    if (out != null) {
      try {
        out.close();
      } catch (IOException ignored) {
        // already reported
      }
    }
    out = null;
    current = null;
  }

  private void error(String what, IOException e) {
    long now = System.nanoTime();
    if (now - lastErrorNanos >= TimeUnit.SECONDS.toNanos(10)) {
      lastErrorNanos = now;
      LOG.log(System.Logger.Level.ERROR, "request log of model '" + model + "': " + what + " failed: " + e);
    }
  }

  private static Path tmp(Path file) {
    return file.resolveSibling(file.getFileName() + IN_PROGRESS);
  }
}
