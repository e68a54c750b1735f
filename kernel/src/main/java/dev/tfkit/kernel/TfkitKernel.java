package dev.tfkit.kernel;

import dev.tfkit.cli.ConsoleLogging;
import dev.tfkit.io.BuildVersions;
import dev.tfkit.kernel.display.MimeBundle;
import dev.tfkit.kernel.protocol.HistoryContent;
import dev.tfkit.kernel.protocol.KernelConnection;
import dev.tfkit.kernel.protocol.KernelInfoContent;
import io.github.spencerpark.jupyter.channels.ShellReplyEnvironment;
import io.github.spencerpark.jupyter.kernel.KernelConnectionProperties;
import io.github.spencerpark.jupyter.kernel.display.DisplayData;
import io.github.spencerpark.jupyter.kernel.history.HistoryEntry;
import io.github.spencerpark.jupyter.messages.Message;
import io.github.spencerpark.jupyter.messages.MessageType;
import io.github.spencerpark.jupyter.messages.publish.PublishDisplayData;
import io.github.spencerpark.jupyter.messages.publish.PublishError;
import io.github.spencerpark.jupyter.messages.publish.PublishExecuteInput;
import io.github.spencerpark.jupyter.messages.publish.PublishExecuteResult;
import io.github.spencerpark.jupyter.messages.publish.PublishStream;
import io.github.spencerpark.jupyter.messages.publish.PublishUpdateDisplayData;
import io.github.spencerpark.jupyter.messages.reply.CommInfoReply;
import io.github.spencerpark.jupyter.messages.reply.CompleteReply;
import io.github.spencerpark.jupyter.messages.reply.ErrorReply;
import io.github.spencerpark.jupyter.messages.reply.ExecuteReply;
import io.github.spencerpark.jupyter.messages.reply.InspectReply;
import io.github.spencerpark.jupyter.messages.reply.InterruptReply;
import io.github.spencerpark.jupyter.messages.reply.IsCompleteReply;
import io.github.spencerpark.jupyter.messages.reply.ShutdownReply;
import io.github.spencerpark.jupyter.messages.request.CompleteRequest;
import io.github.spencerpark.jupyter.messages.request.ExecuteRequest;
import io.github.spencerpark.jupyter.messages.request.HistoryRequest;
import io.github.spencerpark.jupyter.messages.request.InspectRequest;
import io.github.spencerpark.jupyter.messages.request.IsCompleteRequest;
import io.github.spencerpark.jupyter.messages.request.ShutdownRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Jupyter kernel for Java notebooks: {@code java dev.tfkit.kernel.TfkitKernel CONNECTION_FILE}.
 * It answers Jupyter's messages over ZeroMQ and evaluates cells with a {@link JavaEvaluator}.
 */
public final class TfkitKernel {
  /** Jupyter messaging protocol version spoken. */
  public static final String PROTOCOL_VERSION = "5.3";

  private static final Logger LOG = Logger.getLogger(TfkitKernel.class.getName());

  private final JavaEvaluator evaluator;
  private final KernelConnection connection;
  private final List<HistoryEntry> history = Collections.synchronizedList(new ArrayList<>());
  private int executionCount;

  public TfkitKernel(JavaEvaluator evaluator, KernelConnection connection) {
    this.evaluator = evaluator;
    this.connection = connection;
    connection.setHandler(MessageType.KERNEL_INFO_REQUEST, (env, m) -> kernelInfo(env));
    connection.setHandler(MessageType.EXECUTE_REQUEST, this::execute);
    connection.setHandler(MessageType.COMPLETE_REQUEST, this::complete);
    connection.setHandler(MessageType.INSPECT_REQUEST, this::inspect);
    connection.setHandler(MessageType.IS_COMPLETE_REQUEST, this::isComplete);
    connection.setHandler(MessageType.HISTORY_REQUEST, this::history);
    connection.setHandler(MessageType.COMM_INFO_REQUEST, (env, m) -> {
      env.setBusyDeferIdle();
      env.reply(new CommInfoReply(Map.of()));
    });
    connection.setHandler(MessageType.INTERRUPT_REQUEST, (env, m) -> {
      env.setBusyDeferIdle();
      evaluator.interrupt();
      env.reply(new InterruptReply());
    });
    connection.setHandler(MessageType.SHUTDOWN_REQUEST, this::shutdown);
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: java dev.tfkit.kernel.TfkitKernel CONNECTION_FILE");
      System.exit(2);
    }
    Path file = Path.of(args[0]);
    if (!Files.isRegularFile(file)) {
      System.err.println("tfkit kernel: connection file not found: " + file.toAbsolutePath());
      System.exit(2);
    }
    // Other libraries' INFO (the kernel library's message traffic) off; tfkit's own on, as in
    // headless runs.
    ConsoleLogging.install();
    KernelConnectionProperties props = KernelConnectionProperties.parse(Files.readString(file));
    KernelConnection connection = new KernelConnection(props);
    JavaEvaluator evaluator = JavaEvaluator.create();
    TfkitKernel kernel = new TfkitKernel(evaluator, connection);
    installSigintHandler(evaluator);
    connection.start();
    connection.awaitClose();
    connection.close();
    evaluator.close();
    System.exit(0);
  }

  /** With interrupt_mode "signal" Jupyter sends SIGINT; it must interrupt the cell, not end the JVM. */
  @SuppressWarnings("restriction")
  private static void installSigintHandler(JavaEvaluator evaluator) {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("INT"), sig -> evaluator.interrupt());
    } catch (Throwable unsupported) {
      LOG.fine("SIGINT handler not installed: " + unsupported);
    }
  }

  private void kernelInfo(ShellReplyEnvironment env) {
    env.setBusyDeferIdle();
    String version = BuildVersions.tfkit();
    Map<String, String> lang = new LinkedHashMap<>();
    lang.put("name", "java");
    lang.put("version", System.getProperty("java.version"));
    lang.put("mimetype", "text/x-java-source");
    lang.put("file_extension", ".jshell");
    lang.put("pygments_lexer", "java");
    lang.put("codemirror_mode", "java");
    lang.put("nbconvert_exporter", "script");
    env.reply(new KernelInfoContent(
        PROTOCOL_VERSION,
        "tfkit-kernel",
        version,
        lang,
        "tfkit " + version + " - Java " + System.getProperty("java.version") + " (JShell)"));
  }

  private void execute(ShellReplyEnvironment env, Message<ExecuteRequest> message) {
    ExecuteRequest req = message.getContent();
    env.setBusyDeferIdle();
    int count;
    synchronized (this) {
      count = req.isSilent() ? executionCount : ++executionCount;
    }
    env.publish(new PublishExecuteInput(req.getCode(), count));
    boolean silent = req.isSilent();
    EvalResult result;
    try {
      boolean stdin = req.isStdinEnabled();
      result =
          evaluator.eval(
              req.getCode(),
              new EvalListener() {
                @Override
                public void output(CellOutput out) {
                  if (silent && !(out instanceof CellOutput.Error)) return;
                  publish(env, out, count);
                }

                @Override
                public String requestInput(String prompt, boolean password) {
                  // The frontend shows an input box (input_request on the stdin channel).
                  return stdin ? env.readFromStdIn(prompt, password) : null;
                }
              });
    } catch (RuntimeException | Error internal) {
      // A failure of the evaluator itself still gets an answer, or the frontend would wait forever.
      LOG.log(Level.SEVERE, "evaluation failed", internal);
      EvalError e = new EvalError(internal.getClass().getName(), String.valueOf(internal.getMessage()),
          List.of("kernel error: " + internal));
      publish(env, new CellOutput.Error(e), count);
      result = new EvalResult(List.of(new CellOutput.Error(e)), Optional.empty(), Optional.of(e));
    }
    if (req.shouldStoreHistory() && !silent) {
      String output = result.value().map(MimeBundle::plainText).orElse(null);
      history.add(output == null ? new HistoryEntry(1, count, req.getCode()) : new HistoryEntry(1, count, req.getCode(), output));
    }
    Optional<EvalError> error = result.error();
    if (error.isPresent()) {
      EvalError e = error.get();
      ErrorReply reply = new ErrorReply(e.ename(), e.evalue(), e.traceback());
      reply.setExecutionCount(count);
      env.defer().replyError(MessageType.EXECUTE_REPLY.error(), reply);
      if (req.shouldStopOnError()) connection.abortQueuedExecutes();
    } else {
      env.defer().reply(new ExecuteReply(count, Map.of()));
    }
  }

  private static void publish(ShellReplyEnvironment env, CellOutput out, int count) {
    if (out instanceof CellOutput.Stream s) {
      env.publish(new PublishStream(s.name().equals("stderr") ? PublishStream.StreamType.ERR : PublishStream.StreamType.OUT, s.text()));
    } else if (out instanceof CellOutput.Display d) {
      DisplayData data = toDisplayData(d.bundle());
      if (d.update()) env.publish(new PublishUpdateDisplayData(data));
      else env.publish(new PublishDisplayData(data));
    } else if (out instanceof CellOutput.Result r) {
      env.publish(new PublishExecuteResult(count, toDisplayData(r.bundle())));
    } else if (out instanceof CellOutput.Error e) {
      env.publish(new PublishError(e.error().ename(), e.error().evalue(), e.error().traceback()));
    }
  }

  static DisplayData toDisplayData(MimeBundle b) {
    return b.toDisplayData();
  }

  private void complete(ShellReplyEnvironment env, Message<CompleteRequest> message) {
    env.setBusyDeferIdle();
    CompleteRequest req = message.getContent();
    Completion c;
    try {
      c = evaluator.complete(req.getCode(), req.getCursorPos());
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "completion failed", e);
      c = new Completion(List.of(), req.getCursorPos(), req.getCursorPos());
    }
    env.reply(new CompleteReply(c.matches(), c.start(), c.end(), Map.of()));
  }

  private void inspect(ShellReplyEnvironment env, Message<InspectRequest> message) {
    env.setBusyDeferIdle();
    InspectRequest req = message.getContent();
    Optional<MimeBundle> doc;
    try {
      doc = evaluator.inspect(req.getCode(), req.getCursorPos(), req.getDetailLevel() > 0);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "inspection failed", e);
      doc = Optional.empty();
    }
    env.reply(new InspectReply(doc.isPresent(), doc.map(TfkitKernel::toDisplayData).orElse(new DisplayData())));
  }

  private void isComplete(ShellReplyEnvironment env, Message<IsCompleteRequest> message) {
    env.setBusyDeferIdle();
    Completeness c;
    try {
      c = evaluator.isComplete(message.getContent().getCode());
    } catch (RuntimeException e) {
      c = new Completeness("unknown", "");
    }
    IsCompleteReply reply = switch (c.status()) {
      case "complete" -> IsCompleteReply.VALID_CODE;
      case "invalid" -> IsCompleteReply.INVALID_CODE;
      case "incomplete" -> IsCompleteReply.getIncompleteReplyWithIndent(c.indent());
      default -> IsCompleteReply.UNKNOWN;
    };
    env.reply(reply);
  }

  private void history(ShellReplyEnvironment env, Message<HistoryRequest> message) {
    env.setBusyDeferIdle();
    HistoryRequest req = message.getContent();
    List<HistoryEntry> all;
    synchronized (history) {
      all = new ArrayList<>(history);
    }
    List<HistoryEntry> out = all;
    if (req instanceof HistoryRequest.Tail tail) {
      int n = Math.max(0, tail.getMaxReturnLength());
      out = all.subList(Math.max(0, all.size() - n), all.size());
    } else if (req instanceof HistoryRequest.Range range) {
      out = all.stream()
          .filter(e -> e.getCellNumber() >= range.getStart() && (range.getStop() <= 0 || e.getCellNumber() < range.getStop()))
          .toList();
    } else if (req instanceof HistoryRequest.Search search) {
      String glob = search.getPattern() == null ? "*" : search.getPattern();
      String regex = ("\\Q" + glob + "\\E").replace("*", "\\E.*\\Q").replace("?", "\\E.\\Q");
      out = all.stream().filter(e -> e.getInput().matches("(?s)" + regex)).toList();
      if (search.filterUnique()) {
        LinkedHashMap<String, HistoryEntry> unique = new LinkedHashMap<>();
        for (HistoryEntry e : out) {
          unique.remove(e.getInput());
          unique.put(e.getInput(), e);
        }
        out = new ArrayList<>(unique.values());
      }
      int n = search.getMaxReturnLength();
      if (n > 0 && out.size() > n) out = out.subList(out.size() - n, out.size());
    }
    List<List<Object>> entries = new ArrayList<>();
    for (HistoryEntry e : out) {
      Object input = req.includeOutput() ? List.of(e.getInput(), e.hasOutput() ? e.getOutput() : "") : e.getInput();
      entries.add(List.of(e.getSession(), e.getCellNumber(), input));
    }
    env.reply(new HistoryContent(entries));
  }

  private void shutdown(ShellReplyEnvironment env, Message<ShutdownRequest> message) {
    boolean restart = message.getContent().isRestart();
    env.setBusyDeferIdle();
    env.reply(restart ? ShutdownReply.SHUTDOWN_AND_RESTART : ShutdownReply.SHUTDOWN);
    env.markForShutdown();
  }
}
