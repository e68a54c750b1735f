package dev.tfkit.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
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

  private static JsonObject content(String... kv) {
    JsonObject o = new JsonObject();
    for (int i = 0; i < kv.length; i += 2) o.addProperty(kv[i], kv[i + 1]);
    return o;
  }

  @Test
  @Order(1)
  void kernelInfo() throws Exception {
    var r = kernel.request("shell", "kernel_info_request", new JsonObject(), Duration.ofSeconds(30));
    JsonObject c = r.content();
    assertThat(KernelClient.msgType(r.reply())).isEqualTo("kernel_info_reply");
    assertThat(c.get("protocol_version").getAsString()).isEqualTo("5.3");
    assertThat(c.getAsJsonObject("language_info").get("name").getAsString()).isEqualTo("java");
    assertThat(c.get("implementation").getAsString()).isEqualTo("tfkit-kernel");
    assertThat(r.iopub("status")).hasSize(2);
  }

  @Test
  @Order(2)
  void executeResultAndStreams() throws Exception {
    var r = kernel.execute("System.out.println(\"hello\");\nSystem.err.println(\"oops\");\n6 * 7");
    assertThat(r.content().get("status").getAsString()).isEqualTo("ok");
    int count = r.content().get("execution_count").getAsInt();
    assertThat(r.iopub("execute_input")).hasSize(1);
    assertThat(r.stream("stdout")).isEqualTo("hello\n");
    assertThat(r.stream("stderr")).isEqualTo("oops\n");
    JsonObject result = r.iopub("execute_result").get(0).getAsJsonObject("content");
    assertThat(result.getAsJsonObject("data").get("text/plain").getAsString()).isEqualTo("42");
    assertThat(result.get("execution_count").getAsInt()).isEqualTo(count);
    var next = kernel.execute("int unused = 1;");
    assertThat(next.content().get("execution_count").getAsInt()).isEqualTo(count + 1);
    assertThat(next.iopub("execute_result")).isEmpty();
  }

  @Test
  @Order(3)
  void tensorflowIsLoadedOnFirstUseNotAtStart() throws Exception {
    kernel.execute("var names = new ArrayList<String>(); names.add(\"x\"); names");
    String before = Files.readString(classLog);
    assertThat(before).contains("dev.tfkit.kernel.JavaEvaluator").doesNotContain("org.tensorflow.");
    var r = kernel.execute("org.tensorflow.TensorFlow.version()", Duration.ofMinutes(2));
    assertThat(r.content().get("status").getAsString()).isEqualTo("ok");
    assertThat(Files.readString(classLog)).contains("org.tensorflow.TensorFlow ");
  }

  @Test
  @Order(3)
  void errorsReplyWithNameValueAndTraceback() throws Exception {
    var r = kernel.execute("Integer.parseInt(\"x1\")");
    assertThat(r.content().get("status").getAsString()).isEqualTo("error");
    assertThat(r.content().get("ename").getAsString()).isEqualTo("java.lang.NumberFormatException");
    JsonObject err = r.iopub("error").get(0).getAsJsonObject("content");
    assertThat(err.get("evalue").getAsString()).contains("x1");
    assertThat(err.getAsJsonArray("traceback").get(0).getAsString()).startsWith("java.lang.NumberFormatException");

    var compile = kernel.execute("int a = true;");
    assertThat(compile.content().get("ename").getAsString()).isEqualTo("CompilationException");
    assertThat(compile.iopub("error").get(0).getAsJsonObject("content").getAsJsonArray("traceback").get(0).getAsString())
        .startsWith("line 1, column 9:");
  }

  @Test
  @Order(4)
  void lineMagicUsedAsAValue() throws Exception {
    Path dir = Files.createTempDirectory("kernel-cp-");
    var r = kernel.execute("List<String> added = %classpath " + dir + "\nadded");
    assertThat(r.content().get("status").getAsString()).isEqualTo("ok");
    JsonObject result = r.iopub("execute_result").get(0).getAsJsonObject("content");
    assertThat(result.getAsJsonObject("data").get("text/plain").getAsString()).isEqualTo("[" + dir.toAbsolutePath() + "]");
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
    assertThat(r.content().get("status").getAsString()).isEqualTo("ok");
    JsonObject shown = r.iopub("display_data").get(0).getAsJsonObject("content").getAsJsonObject("data");
    assertThat(shown.get("text/html").getAsString()).isEqualTo("<span>ok</span>");
    JsonObject result = r.iopub("execute_result").get(0).getAsJsonObject("content").getAsJsonObject("data");
    assertThat(result.get("text/markdown").getAsString()).isEqualTo("**md**");
    assertThat(result.get("text/plain").getAsString()).isEqualTo("plain");
  }

  @Test
  @Order(4)
  void displayAndUpdateDisplay() throws Exception {
    var r = kernel.execute("String id = display(\"v1\");\nupdateDisplay(id, \"v2\");");
    JsonObject shown = r.iopub("display_data").get(0).getAsJsonObject("content");
    JsonObject updated = r.iopub("update_display_data").get(0).getAsJsonObject("content");
    assertThat(shown.getAsJsonObject("data").get("text/plain").getAsString()).isEqualTo("v1");
    assertThat(updated.getAsJsonObject("data").get("text/plain").getAsString()).isEqualTo("v2");
    String id = shown.getAsJsonObject("transient").get("display_id").getAsString();
    assertThat(updated.getAsJsonObject("transient").get("display_id").getAsString()).isEqualTo(id);
  }

  @Test
  @Order(5)
  void completeInspectIsComplete() throws Exception {
    kernel.execute("String word = \"abc\";");
    JsonObject req = new JsonObject();
    req.addProperty("code", "word.toUpp");
    req.addProperty("cursor_pos", 10);
    JsonObject c = kernel.request("shell", "complete_request", req, Duration.ofSeconds(30)).content();
    assertThat(c.get("status").getAsString()).isEqualTo("ok");
    assertThat(c.getAsJsonArray("matches").toString()).contains("toUpperCase(");
    assertThat(c.get("cursor_start").getAsInt()).isEqualTo(5);
    assertThat(c.get("cursor_end").getAsInt()).isEqualTo(10);

    JsonObject ins = new JsonObject();
    ins.addProperty("code", "Math.max");
    ins.addProperty("cursor_pos", 8);
    ins.addProperty("detail_level", 0);
    JsonObject i = kernel.request("shell", "inspect_request", ins, Duration.ofSeconds(30)).content();
    assertThat(i.get("found").getAsBoolean()).isTrue();
    assertThat(i.getAsJsonObject("data").get("text/plain").getAsString()).contains("max(int");

    JsonObject done = kernel.request("shell", "is_complete_request", content("code", "int x = 1;"), Duration.ofSeconds(30)).content();
    assertThat(done.get("status").getAsString()).isEqualTo("complete");
    JsonObject open = kernel.request("shell", "is_complete_request", content("code", "if (true) {"), Duration.ofSeconds(30)).content();
    assertThat(open.get("status").getAsString()).isEqualTo("incomplete");
  }

  @Test
  @Order(6)
  void historyTail() throws Exception {
    kernel.execute("String marker = \"history-marker\";");
    JsonObject req = new JsonObject();
    req.addProperty("output", false);
    req.addProperty("raw", true);
    req.addProperty("hist_access_type", "tail");
    req.addProperty("n", 3);
    JsonObject c = kernel.request("shell", "history_request", req, Duration.ofSeconds(30)).content();
    JsonArray h = c.getAsJsonArray("history");
    assertThat(h.size()).isBetween(1, 3);
    JsonArray last = h.get(h.size() - 1).getAsJsonArray();
    assertThat(last.get(2).getAsString()).isEqualTo("String marker = \"history-marker\";");
  }

  @Test
  @Order(7)
  void interruptStopsALongCellAndTheKernelStaysUsable() throws Exception {
    JsonObject exec = new JsonObject();
    exec.addProperty("code", "long spins = 0;\nwhile (true) { spins++; }");
    exec.addProperty("silent", false);
    exec.addProperty("store_history", true);
    exec.add("user_expressions", new JsonObject());
    exec.addProperty("allow_stdin", false);
    String id = kernel.sendOnly("shell", "execute_request", exec);
    // Wait until the cell is running (its execute_input is published before evaluation starts).
    for (int i = 0; i < 600 && kernel.iopubFor(id).stream().noneMatch(m -> KernelClient.msgType(m).equals("execute_input")); i++) {
      Thread.sleep(50);
    }
    Thread.sleep(300);
    var ir = kernel.request("control", "interrupt_request", new JsonObject(), Duration.ofSeconds(30));
    assertThat(KernelClient.msgType(ir.reply())).isEqualTo("interrupt_reply");
    JsonObject reply = kernel.receiveReply("shell", Duration.ofSeconds(30));
    assertThat(reply.getAsJsonObject("content").get("status").getAsString()).isEqualTo("error");
    assertThat(reply.getAsJsonObject("content").get("ename").getAsString()).isEqualTo("EvaluationInterruptedException");
    var after = kernel.execute("\"alive\"");
    assertThat(after.iopub("execute_result").get(0).getAsJsonObject("content").getAsJsonObject("data").get("text/plain").getAsString())
        .isEqualTo("alive");
  }

  @Test
  @Order(7)
  void cellsQueuedBehindAFailedCellAreAborted() throws Exception {
    String failing = kernel.sendOnly("shell", "execute_request", executeContent("Thread.sleep(200);\nthrow new IllegalStateException(\"stop here\");"));
    String queued = kernel.sendOnly("shell", "execute_request", executeContent("int afterFailure = 1;"));
    // Replies are matched by parent msg_id (the queued cell is aborted before the failed cell's
    // reply leaves, so a cell sent after that reply is never caught by the abort).
    Map<String, JsonObject> replies = new HashMap<>();
    for (int i = 0; i < 2; i++) {
      JsonObject r = kernel.receiveReply("shell", Duration.ofSeconds(60));
      replies.put(r.getAsJsonObject("parent_header").get("msg_id").getAsString(), r);
    }
    assertThat(replies).containsOnlyKeys(failing, queued);
    assertThat(replies.get(failing).getAsJsonObject("content").get("status").getAsString()).isEqualTo("error");
    assertThat(replies.get(queued).getAsJsonObject("content").get("status").getAsString()).isEqualTo("aborted");
    // The aborted cell did not run, and the kernel runs the next one normally.
    assertThat(kernel.execute("afterFailure").content().get("ename").getAsString()).isEqualTo("CompilationException");
  }

  private static JsonObject executeContent(String code) {
    JsonObject exec = new JsonObject();
    exec.addProperty("code", code);
    exec.addProperty("silent", false);
    exec.addProperty("store_history", true);
    exec.add("user_expressions", new JsonObject());
    exec.addProperty("allow_stdin", false);
    exec.addProperty("stop_on_error", true);
    return exec;
  }

  @Test
  @Order(8)
  void systemInAsksTheFrontendForInput() throws Exception {
    JsonObject exec = executeContent("System.out.print(\"name? \");\nString name = new java.util.Scanner(System.in).nextLine();\n\"hi \" + name");
    exec.addProperty("allow_stdin", true);
    String id = kernel.sendOnly("shell", "execute_request", exec);
    JsonObject request = kernel.answerInput("Ada", Duration.ofSeconds(60));
    assertThat(request).isNotNull();
    assertThat(KernelClient.msgType(request)).isEqualTo("input_request");
    assertThat(request.getAsJsonObject("content").has("prompt")).isTrue();
    JsonObject reply = kernel.receiveReply("shell", Duration.ofSeconds(60));
    assertThat(reply.getAsJsonObject("content").get("status").getAsString()).isEqualTo("ok");
    for (int i = 0; i < 100 && kernel.iopubFor(id).stream().noneMatch(m -> KernelClient.msgType(m).equals("execute_result")); i++) {
      Thread.sleep(50);
    }
    JsonObject result = kernel.iopubFor(id).stream().filter(m -> KernelClient.msgType(m).equals("execute_result")).findFirst().orElseThrow();
    assertThat(result.getAsJsonObject("content").getAsJsonObject("data").get("text/plain").getAsString()).isEqualTo("hi Ada");
  }

  @Test
  @Order(8)
  void systemExitDoesNotKillTheKernel() throws Exception {
    var r = kernel.execute("System.exit(1);");
    assertThat(r.content().get("status").getAsString()).isEqualTo("error");
    assertThat(r.content().get("ename").getAsString()).isEqualTo("java.lang.SecurityException");
    assertThat(kernel.process().isAlive()).isTrue();
    assertThat(kernel.execute("1 + 1").content().get("status").getAsString()).isEqualTo("ok");
    // The guard went in without the JDK's security-manager warning in Jupyter's log.
    assertThat(kernel.kernelLog()).doesNotContain("terminally deprecated");
  }

  @Test
  @Order(9)
  void badSignatureIsDroppedAndTheKernelKeepsAnswering() throws Exception {
    kernel.sendWithBadSignature("kernel_info_request", new JsonObject());
    assertThat(kernel.receiveReply("shell", Duration.ofSeconds(2))).isNull();
    var ok = kernel.request("shell", "kernel_info_request", new JsonObject(), Duration.ofSeconds(30));
    assertThat(KernelClient.msgType(ok.reply())).isEqualTo("kernel_info_reply");
    assertThat(kernel.heartbeat(Duration.ofSeconds(10))).isTrue();
  }

  @Test
  @Order(9)
  void aReplayedExecuteRequestDoesNotRunAgain() throws Exception {
    kernel.execute("int replayRuns = 0;");
    var first = kernel.execute("replayRuns++; replayRuns");
    assertThat(first.iopub("execute_result").get(0).getAsJsonObject("content").getAsJsonObject("data")
        .get("text/plain").getAsString()).isEqualTo("1");
    String replayedId = kernel.resendLast();
    // The shell loop takes requests in order: had the replay run, this fresh request would see 2.
    var fresh = kernel.execute("replayRuns");
    assertThat(fresh.iopub("execute_result").get(0).getAsJsonObject("content").getAsJsonObject("data")
        .get("text/plain").getAsString()).isEqualTo("1");
    assertThat(kernel.iopubFor(replayedId).stream().filter(m -> KernelClient.msgType(m).equals("execute_input")))
        .hasSize(1);
    assertThat(kernel.kernelLog()).contains("dropped a replayed execute_request (msg_id " + replayedId + ")");
  }

  @Test
  @Order(10)
  void shutdownEndsTheProcess() throws Exception {
    JsonObject c = new JsonObject();
    c.addProperty("restart", false);
    var r = kernel.request("control", "shutdown_request", c, Duration.ofSeconds(30));
    assertThat(KernelClient.msgType(r.reply())).isEqualTo("shutdown_reply");
    assertThat(r.content().get("restart").getAsBoolean()).isFalse();
    assertThat(kernel.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(kernel.process().exitValue()).isEqualTo(0);
  }
}
