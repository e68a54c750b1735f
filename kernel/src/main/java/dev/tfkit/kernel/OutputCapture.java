package dev.tfkit.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Sends what cells print on {@code System.out}/{@code System.err} to the cell that printed it.
 *
 * <p>Cells run in the evaluator's own JVM, so the JVM's standard streams are replaced once by
 * routing streams: text from a cell's thread (or a thread it started) goes to that cell's {@link
 * StreamSink}; text from any other thread goes to the cell running now, if one is, else to the
 * original stream.
 */
final class OutputCapture {
  /** Receives one stream's text for one cell. */
  interface StreamSink {
    void write(String stream, String text);

    /** One line the user typed for {@code System.in} (without the newline), or null for end of input. */
    default String readLine() {
      return null;
    }
  }

  private static final AtomicReference<OutputCapture> INSTANCE = new AtomicReference<>();

  private final PrintStream originalOut;
  private final PrintStream originalErr;
  private final InheritableThreadLocal<StreamSink> threadSink = new InheritableThreadLocal<>();
  private volatile StreamSink activeSink;

  private OutputCapture(PrintStream out, PrintStream err) {
    this.originalOut = out;
    this.originalErr = err;
  }

  /** The JVM-wide capture, installing the routing streams on first use. */
  static OutputCapture install() {
    OutputCapture c = INSTANCE.get();
    if (c != null) return c;
    synchronized (INSTANCE) {
      c = INSTANCE.get();
      if (c == null) {
        c = new OutputCapture(System.out, System.err);
        System.setOut(c.routing("stdout", c.originalOut));
        System.setErr(c.routing("stderr", c.originalErr));
        System.setIn(c.new RoutingInput(System.in));
        INSTANCE.set(c);
      }
      return c;
    }
  }

  PrintStream originalOut() {
    return originalOut;
  }

  PrintStream originalErr() {
    return originalErr;
  }

  /** Binds the current thread (and threads it starts) to {@code sink}; null unbinds. */
  void bindThread(StreamSink sink) {
    if (sink == null) threadSink.remove();
    else threadSink.set(sink);
  }

  void setActive(StreamSink sink) {
    this.activeSink = sink;
  }

  void clearActive(StreamSink sink) {
    if (activeSink == sink) activeSink = null;
  }

  private StreamSink currentSink() {
    StreamSink sink = threadSink.get();
    return sink != null ? sink : activeSink;
  }

  /** {@code System.in} for cells: each line is asked from the frontend when the cell reads. */
  private final class RoutingInput extends InputStream {
    private final InputStream fallback;
    private byte[] buffer = new byte[0];
    private int pos;
    private StreamSink owner;

    RoutingInput(InputStream fallback) {
      this.fallback = fallback;
    }

    /** Makes sure the buffer has bytes; false at end of input. */
    private boolean fill(StreamSink sink) {
      if (sink != owner) {
        owner = sink;
        buffer = new byte[0];
        pos = 0;
      }
      if (pos < buffer.length) return true;
      String line = sink.readLine();
      if (line == null) return false;
      buffer = (line + "\n").getBytes(StandardCharsets.UTF_8);
      pos = 0;
      return true;
    }

    @Override
    public synchronized int read() throws IOException {
      StreamSink sink = currentSink();
      if (sink == null) return fallback.read();
      return fill(sink) ? buffer[pos++] & 0xff : -1;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) throws IOException {
      StreamSink sink = currentSink();
      if (sink == null) return fallback.read(b, off, len);
      if (len == 0) return 0;
      if (!fill(sink)) return -1;
      // Return what this line has; asking for the next line now would block the reader.
      int n = Math.min(len, buffer.length - pos);
      System.arraycopy(buffer, pos, b, off, n);
      pos += n;
      return n;
    }

    @Override
    public synchronized int available() {
      return owner == currentSink() ? buffer.length - pos : 0;
    }
  }

  private PrintStream routing(String name, PrintStream fallback) {
    OutputStream os =
        new OutputStream() {
          @Override
          public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) {
            StreamSink sink = threadSink.get();
            if (sink == null) sink = activeSink;
            if (sink == null) {
              fallback.write(b, off, len);
              return;
            }
            // A PrintStream with UTF-8 encoding writes whole strings at once, so a chunk never
            // splits a character except for raw byte writes, which are rare in cells.
            sink.write(name, new String(b, off, len, StandardCharsets.UTF_8));
          }

          @Override
          public void flush() {
            StreamSink sink = threadSink.get();
            if (sink == null && activeSink == null) fallback.flush();
          }
        };
    return new PrintStream(os, true, StandardCharsets.UTF_8);
  }
}
