package dev.tfkit.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tfkit.kernel.protocol.KernelClient;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which classes cells see in the real kernel process: tfkit's API and TF Java, protobuf, Tablesaw
 * and XChart, not the kernel's own libraries; a user's jar of another version of one of those wins
 * for the user's code, with a note.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CellClassVisibilityTest {
  static KernelClient kernel;
  @TempDir static Path tmp;
  static final Path M2 = Path.of(System.getProperty("user.home"), ".m2", "repository");

  @BeforeAll
  static void start() throws Exception {
    kernel = KernelClient.start(TestKernels.argv(), Map.of(), Duration.ofSeconds(90));
  }

  @AfterAll
  static void stop() {
    if (kernel != null) kernel.close();
  }

  private static KernelClient.Reply run(String code) throws Exception {
    return kernel.execute(code, Duration.ofMinutes(2));
  }

  private static String text(KernelClient.Reply r) {
    assertThat(r.content().get("status").asText())
        .as("cell failed: %s %s", r.content().get("ename"), r.content().get("evalue"))
        .isEqualTo("ok");
    return data(r).get("text/plain").asText();
  }

  private static JsonNode data(KernelClient.Reply r) {
    return r.iopub("execute_result").get(0).content().get("data");
  }

  @Test
  @Order(1)
  void theKernelsOwnLibrariesCannotBeLoadedByCells() throws Exception {
    for (String name : List.of(
        "com.google.gson.Gson",
        "org.zeromq.ZMQ",
        "com.fasterxml.jackson.databind.ObjectMapper",
        "com.google.common.collect.ImmutableList",
        "org.eclipse.aether.RepositorySystem",
        "io.github.spencerpark.jupyter.kernel.BaseKernel",
        "dev.tfkit.kernel.protocol.KernelClient",
        "io.grpc.ManagedChannelBuilder")) {
      var r = run("Class.forName(\"" + name + "\")");
      assertThat(r.content().get("status").asText()).as(name).isEqualTo("error");
      assertThat(r.content().get("ename").asText()).as(name).isEqualTo("java.lang.ClassNotFoundException");
      assertThat(r.content().get("evalue").asText()).as(name).contains(name);
    }
    // The context class loader of a cell's thread does not reach them either.
    var ctx = run("Thread.currentThread().getContextClassLoader().loadClass(\"com.google.gson.Gson\")");
    assertThat(ctx.content().get("ename").asText()).isEqualTo("java.lang.ClassNotFoundException");
    // Naming them does not compile.
    var gson = run("new com.google.gson.Gson()");
    assertThat(gson.content().get("ename").asText()).isEqualTo("CompilationException");
    assertThat(gson.content().get("evalue").asText()).contains("com.google.gson");
    var zmq = run("org.zeromq.ZMQ.getVersionString()");
    assertThat(zmq.content().get("ename").asText()).isEqualTo("CompilationException");
  }

  @Test
  @Order(2)
  void tfkitsApiAndTheLibrariesItsSignaturesUseAreTheKernelsOwn() throws Exception {
    // The same classes tfkit uses (one loader), so tfkit's objects and the cell's are one type.
    assertThat(text(run("org.knowm.xchart.XYChart.class.getClassLoader() == dev.tfkit.Tfkit.class.getClassLoader()")))
        .isEqualTo("true");
    assertThat(text(run("tech.tablesaw.api.Table.class.getClassLoader() == dev.tfkit.Tfkit.class.getClassLoader()")))
        .isEqualTo("true");
    assertThat(text(run("com.google.protobuf.ByteString.copyFromUtf8(\"abc\").size()"))).isEqualTo("3");
    assertThat(text(run("Class.forName(\"org.tensorflow.TensorFlow\").getSimpleName()"))).isEqualTo("TensorFlow");
    // tfkit's TF Serving messages (what Prediction.modelSpec() returns).
    assertThat(text(run("tensorflow.serving.Model.ModelSpec.newBuilder().setName(\"m\").build().getName()"))).isEqualTo("m");
    assertThat(text(run("tech.tablesaw.api.Table.create(\"t\", tech.tablesaw.api.IntColumn.create(\"x\", 1, 2)).rowCount()")))
        .isEqualTo("2");
    assertThat(text(run("Class.forName(\"io.github.spencerpark.ijava.IJava\").getSimpleName()"))).isEqualTo("IJava");
    // A chart still renders as a picture.
    var chart = run("new org.knowm.xchart.XYChart(120, 80)");
    assertThat(chart.content().get("status").asText()).isEqualTo("ok");
    assertThat(data(chart).has("image/png")).isTrue();
  }

  @Test
  @Order(3)
  void mavenGsonGivesTheUsersGson() throws Exception {
    Path jar = M2.resolve("com/google/code/gson/gson/2.8.5/gson-2.8.5.jar");
    assumeTrue(Files.isRegularFile(jar), "gson 2.8.5 is not in the local Maven repository");
    var add = run("%maven com.google.code.gson:gson:2.8.5");
    assertThat(add.content().get("status").asText()).isEqualTo("ok");
    assertThat(add.stream("stderr")).doesNotContain("replaces");
    assertThat(text(run("new com.google.gson.Gson().toJson(List.of(1, 2))"))).isEqualTo("[1,2]");
    assertThat(text(run("com.google.gson.Gson.class.getProtectionDomain().getCodeSource().getLocation().toString()")))
        .endsWith("/gson-2.8.5.jar");
  }

  @Test
  @Order(4)
  void anotherVersionAddedAfterCellsUsedTfkitsIsNotUsedAndSaysSo() throws Exception {
    // Cell 2 used XChart already: the cells' loader links tfkit's copy, so the user's cannot win.
    Path jar = fakeXChart(tmp.resolve("repo/org/knowm/xchart/xchart/9.9.9/xchart-9.9.9.jar"));
    var add = run("%jars " + jar);
    assertThat(add.stream("stderr"))
        .isEqualTo("xchart 9.9.9 is not used for your code: cells already use tfkit's 3.8.8; restart the"
            + " kernel and add it before the first cell that uses XChart\n");
    assertThat(text(run("org.knowm.xchart.XYChart.class.getClassLoader() == dev.tfkit.Tfkit.class.getClassLoader()")))
        .isEqualTo("true");
  }

  @Test
  @Order(5)
  void aUsersOtherVersionOfASharedLibraryWinsForTheUsersCodeWithANote() throws Exception {
    Path jar = tmp.resolve("repo/org/knowm/xchart/xchart/9.9.9/xchart-9.9.9.jar");
    if (!Files.exists(jar)) fakeXChart(jar);
    try (KernelClient fresh = KernelClient.start(TestKernels.argv(), Map.of(), Duration.ofSeconds(90))) {
      KernelClient first = kernel;
      kernel = fresh;
      try {
        usersXChartWins(jar);
      } finally {
        kernel = first;
      }
    }
  }

  private void usersXChartWins(Path jar) throws Exception {
    var add = run("%jars " + jar);
    assertThat(add.content().get("status").asText()).isEqualTo("ok");
    assertThat(add.stream("stderr"))
        .isEqualTo("xchart 9.9.9 replaces tfkit's 3.8.8 for your code: tfkit's chart rendering of XYChart,"
            + " CategoryChart and XChart's other charts may not work\n");
    // Compiled and run against the user's jar: only it has origin().
    assertThat(text(run("org.knowm.xchart.XYChart.origin()"))).isEqualTo("user's");
    assertThat(text(run("org.knowm.xchart.XYChart.class.getProtectionDomain().getCodeSource().getLocation().toString()")))
        .endsWith("/xchart-9.9.9.jar");
    // tfkit's chart renderer cannot take it: text, with a note saying why.
    var chart = run("new org.knowm.xchart.XYChart(120, 80)");
    assertThat(data(chart).has("image/png")).isFalse();
    assertThat(data(chart).get("text/plain").asText()).isEqualTo("fake XYChart");
    assertThat(chart.stream("stderr"))
        .contains("display: org.knowm.xchart.XYChart comes from your own jars, not from the copy of"
            + " org.knowm.xchart.internal.chartpart.Chart tfkit renders; showing it as text");
    // The rest of the shared libraries are still tfkit's.
    assertThat(text(run("tech.tablesaw.api.Table.class.getClassLoader() == dev.tfkit.Tfkit.class.getClassLoader()")))
        .isEqualTo("true");
  }

  @Test
  @Order(6)
  void mavenOfAnotherRealXChartReplacesTfkits() throws Exception {
    assumeTrue(Files.isRegularFile(M2.resolve("org/knowm/xchart/xchart/3.5.2/xchart-3.5.2.jar")),
        "xchart 3.5.2 is not in the local Maven repository");
    try (KernelClient k = KernelClient.start(TestKernels.argv(), Map.of(), Duration.ofSeconds(90))) {
      var add = k.execute("%maven org.knowm.xchart:xchart:3.5.2", Duration.ofMinutes(2));
      assertThat(add.content().get("status").asText()).isEqualTo("ok");
      assertThat(add.stream("stderr")).contains(
          "xchart 3.5.2 replaces tfkit's 3.8.8 for your code: tfkit's chart rendering of XYChart,"
              + " CategoryChart and XChart's other charts may not work");
      var where = k.execute("import org.knowm.xchart.*;\nXYChart.class.getProtectionDomain().getCodeSource().getLocation().toString()");
      assertThat(data(where).get("text/plain").asText()).endsWith("/xchart-3.5.2.jar");
      var chart = k.execute("new XYChart(120, 80)");
      assertThat(chart.content().get("status").asText()).isEqualTo("ok");
      assertThat(data(chart).has("image/png")).isFalse();
      assertThat(data(chart).get("text/plain").asText()).startsWith("org.knowm.xchart.XYChart@");
      assertThat(chart.stream("stderr")).contains("showing it as text");
    }
  }

  /** A jar with an org.knowm.xchart.XYChart that is not XChart's. */
  static Path fakeXChart(Path jar) throws Exception {
    Path src = tmp.resolve("fake-src/org/knowm/xchart");
    Path chartPart = tmp.resolve("fake-src/org/knowm/xchart/internal/chartpart");
    Files.createDirectories(chartPart);
    Files.writeString(chartPart.resolve("Chart.java"), "package org.knowm.xchart.internal.chartpart;\npublic abstract class Chart {}\n");
    Files.writeString(src.resolve("XYChart.java"),
        "package org.knowm.xchart;\n"
            + "public class XYChart extends org.knowm.xchart.internal.chartpart.Chart {\n"
            + "  public XYChart(int w, int h) {}\n"
            + "  public static String origin() { return \"user's\"; }\n"
            + "  @Override public String toString() { return \"fake XYChart\"; }\n"
            + "}\n");
    Path classes = tmp.resolve("fake-classes");
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    int rc = javac.run(null, null, null, "-d", classes.toString(),
        src.resolve("XYChart.java").toString(), chartPart.resolve("Chart.java").toString());
    assertThat(rc).isZero();
    Files.createDirectories(jar.getParent());
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
      for (String name : List.of("org/knowm/xchart/XYChart.class", "org/knowm/xchart/internal/chartpart/Chart.class")) {
        j.putNextEntry(new JarEntry(name));
        j.write(Files.readAllBytes(classes.resolve(name)));
        j.closeEntry();
      }
    }
    return jar;
  }
}
