package dev.tfkit.notebook.engines;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tfkit.io.TempSiblings;
import dev.tfkit.kernel.protocol.JupyterMessage;
import dev.tfkit.kernel.protocol.JupyterWire;
import dev.tfkit.kernel.spec.KernelSpec;
import dev.tfkit.notebook.document.NotebookOutputs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.zeromq.ZMQ;

/**
 * Runs cells on an installed Jupyter kernel: starts it from its kernelspec with a fresh connection
 * file and speaks the Jupyter messaging protocol (v5) over ZeroMQ on 127.0.0.1 through tfkit's one
 * client wire ({@link JupyterWire}) — no Python or jupyter_client involved.
 */
public final class JupyterEngine implements NotebookEngine {
  private static final long POLL_MS = 50;

  private final KernelSpec spec;
  private final Process process;
  private final Path runtimeDir;
  private final Path logFile;
  private final Thread owner = Thread.currentThread();
  private final JupyterWire wire;
  private final ZMQ.Socket shell;
  private final ZMQ.Socket iopub;
  private final ZMQ.Socket control;
  private volatile boolean interruptRequested;
  private volatile boolean closed;
  private boolean cleaned;

  private JupyterEngine(KernelSpec spec, Path cwd, Duration startTimeout) throws IOException {
    this.spec = spec;
    this.runtimeDir = Files.createTempDirectory("tfkit-kernel-");
    this.logFile = runtimeDir.resolve("kernel.log");
    Path connFile = runtimeDir.resolve("kernel-" + UUID.randomUUID() + ".json");
    this.wire = JupyterWire.create(connFile, spec.name(), System.getProperty("user.name", "tfkit"));
    this.shell = wire.shell();
    this.iopub = wire.iopub();
    this.control = wire.control();

    ProcessBuilder pb = new ProcessBuilder(spec.command(connFile))
        .directory(cwd.toFile())
        .redirectErrorStream(true)
        .redirectOutput(logFile.toFile());
    pb.environment().putAll(spec.env());
    try {
      this.process = pb.start();
    } catch (IOException e) {
      wire.close();
      deleteRuntimeDir();
      throw new IOException("kernel '" + spec.name() + "' could not be started with " + spec.argv()
          + " (from " + spec.dir().resolve("kernel.json") + "): " + e.getMessage(), e);
    }
    try {
      waitUntilReady(startTimeout);
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Starts the kernel {@code spec} in {@code cwd} and waits (up to {@code startTimeout}) until it
   * answers on its shell and iopub channels.
   */
  public static JupyterEngine start(KernelSpec spec, Path cwd, Duration startTimeout) throws IOException {
    return new JupyterEngine(spec, cwd, startTimeout);
  }

  /** The kernelspec this engine runs. */
  public KernelSpec spec() {
    return spec;
  }

  @Override
  public String language() {
    return spec.language().isEmpty() ? "java" : spec.language();
  }

  /**
   * Sends kernel_info requests until one is answered on shell and the kernel's status shows up on
   * iopub: only then are published outputs sure to reach us (ZeroMQ drops them before SUB joins).
   */
  private void waitUntilReady(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean replied = false;
    boolean iopubSeen = false;
    try (ZMQ.Poller poller = wire.poller(2)) {
      poller.register(shell, ZMQ.Poller.POLLIN);
      poller.register(iopub, ZMQ.Poller.POLLIN);
      while (!(replied && iopubSeen)) {
        if (System.nanoTime() > deadline) {
          throw new IOException("kernel '" + spec.name() + "' did not answer within " + timeout.toSeconds()
              + " s" + logTail());
        }
        checkAlive();
        wire.send(shell, wire.request("kernel_info_request", JupyterWire.object()));
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (System.nanoTime() < until && !(replied && iopubSeen)) {
          poller.poll(POLL_MS);
          if (poller.pollin(0)) {
            JupyterMessage m = wire.receive(shell);
            if (m != null && m.type().equals("kernel_info_reply")) replied = true;
          }
          if (poller.pollin(1)) {
            if (wire.receive(iopub) != null) iopubSeen = true;
          }
        }
      }
    }
  }

  @Override
  public CellResult execute(String code, OutputSink sink) throws IOException {
    if (closed) throw new IOException("kernel '" + spec.name() + "' is closed");
    interruptRequested = false;
    JupyterMessage request = wire.request("execute_request", JupyterWire.executeContent(code));
    wire.send(shell, request);
    String id = request.id();
    JsonNode reply = null;
    boolean idle = false;
    Integer count = null;
    boolean errorSeen = false;
    try (ZMQ.Poller poller = wire.poller(2)) {
      poller.register(shell, ZMQ.Poller.POLLIN);
      poller.register(iopub, ZMQ.Poller.POLLIN);
      while (reply == null || !idle) {
        if (interruptRequested) {
          interruptRequested = false;
          wire.send(control, wire.request("interrupt_request", JupyterWire.object()));
        }
        if (poller.poll(POLL_MS) <= 0) {
          checkAlive();
          continue;
        }
        if (poller.pollin(0)) {
          JupyterMessage m = wire.receive(shell);
          if (m != null && m.type().equals("execute_reply") && m.parentId().equals(id)) {
            reply = m.content();
            if (reply.path("execution_count").isInt()) count = reply.get("execution_count").asInt();
          }
        }
        if (poller.pollin(1)) {
          JupyterMessage m = wire.receive(iopub);
          if (m == null || !m.parentId().equals(id)) continue;
          ObjectNode c = m.content();
          switch (m.type()) {
            case "status" -> idle = "idle".equals(c.path("execution_state").asText());
            case "execute_input" -> {
              if (c.path("execution_count").isInt()) count = c.get("execution_count").asInt();
            }
            case "stream" -> sink.output(NotebookOutputs.stream(c.path("name").asText("stdout"),
                NotebookOutputs.text(c.get("text"))));
            case "display_data" -> sink.display(NotebookOutputs.displayData(
                fields(c.path("data")), fields(c.path("metadata"))),
                c.path("transient").path("display_id").asText(""));
            case "update_display_data" -> sink.updateDisplay(
                c.path("transient").path("display_id").asText(""),
                NotebookOutputs.displayData(fields(c.path("data")), fields(c.path("metadata"))));
            case "execute_result" -> sink.output(NotebookOutputs.executeResult(
                c.path("execution_count").asInt(count == null ? 0 : count),
                fields(c.path("data")), fields(c.path("metadata"))));
            case "error" -> {
              errorSeen = true;
              List<String> tb = new ArrayList<>();
              c.path("traceback").forEach(t -> tb.add(t.asText()));
              sink.output(NotebookOutputs.error(c.path("ename").asText(), c.path("evalue").asText(), tb));
            }
            case "clear_output" -> sink.clearOutput(c.path("wait").asBoolean(false));
            default -> {} // comm messages and the like: not part of the stored notebook
          }
        }
      }
    }
    boolean ok = "ok".equals(reply.path("status").asText());
    if (!ok && !errorSeen && reply.has("ename")) {
      // some kernels report the error only in the reply: keep it in the notebook all the same
      List<String> tb = new ArrayList<>();
      reply.path("traceback").forEach(t -> tb.add(t.asText()));
      sink.output(NotebookOutputs.error(reply.path("ename").asText(), reply.path("evalue").asText(), tb));
    }
    return new CellResult(count, ok);
  }

  private static Map<String, JsonNode> fields(JsonNode obj) {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    obj.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  private void checkAlive() throws IOException {
    if (!process.isAlive()) {
      throw new IOException("kernel '" + spec.name() + "' died (exit code " + process.exitValue() + ")" + logTail());
    }
    if (closed) throw new IOException("kernel '" + spec.name() + "' was stopped");
  }

  /** The last lines the kernel printed, for error messages. */
  private String logTail() {
    try {
      List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      if (lines.isEmpty()) return "";
      return "; its last output:\n  " + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  @Override
  public void interrupt() {
    if ("message".equals(spec.interruptMode())) {
      interruptRequested = true; // the polling thread sends it: ZeroMQ sockets are single-threaded
      return;
    }
    try {
      new ProcessBuilder("kill", "-INT", Long.toString(process.pid()))
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
          .waitFor(5, TimeUnit.SECONDS);
    } catch (IOException e) {
      interruptRequested = true; // no kill command: fall back to an interrupt_request
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closed = true;
    if (Thread.currentThread() != owner) {
      // Another thread (the timeout watchdog) must not touch the sockets: end the process, and the
      // owner's poll loop notices and cleans up.
      process.destroyForcibly();
      return;
    }
    if (cleaned) return;
    cleaned = true;
    try {
      if (process.isAlive()) {
        ObjectNode c = JupyterWire.object();
        c.put("restart", false);
        wire.send(control, wire.request("shutdown_request", c));
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroy();
          if (!process.waitFor(3, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      }
    } catch (RuntimeException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    } finally {
      wire.close();
      deleteRuntimeDir();
    }
  }

  private void deleteRuntimeDir() {
    TempSiblings.deleteTree(runtimeDir); // a temp folder left behind is harmless
  }
}
