package dev.tfkit.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tfkit.kernel.protocol.KernelClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code %%} cell magics through the kernel process over ZeroMQ, as a Jupyter frontend sends them. */
class CellMagicsProtocolTest {
  static Path tmp;
  static KernelClient kernel;

  @BeforeAll
  static void start() throws Exception {
    tmp = Files.createTempDirectory("tfkit-cellmagics-");
    Path repo = MagicsAndEnvironmentTest.localRepoWithHelloAndWorld(tmp);
    List<String> argv = new ArrayList<>(TestKernels.argv());
    argv.add(1, "-Dmaven.repo.local=" + repo); // %%loadFromPOM's local repository
    kernel = KernelClient.start(argv, Map.of(), Duration.ofSeconds(90));
  }

  @AfterAll
  static void stop() throws Exception {
    if (kernel != null) kernel.close();
    if (tmp != null) {
      try (var walk = Files.walk(tmp)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static JsonNode data(KernelClient.Reply r, String msgType) {
    return r.iopub(msgType).get(0).content().get("data");
  }

  @Test
  void loadFromPomThenUseTheClasses() throws Exception {
    var r = kernel.execute("%%loadFromPOM\n<dependency>\n  <groupId>org.example</groupId>\n"
        + "  <artifactId>hello</artifactId>\n  <version>1.0</version>\n</dependency>\n");
    assertThat(r.content().get("status").asText()).as(r.content().toString()).isEqualTo("ok");
    var used = kernel.execute("new hello.Hello().greet() + \" / \" + new world.World().greet()");
    assertThat(data(used, "execute_result").get("text/plain").asText()).isEqualTo("hello from the pom / world jar");
  }

  @Test
  void htmlAndMarkdownAreDisplayData() throws Exception {
    var html = kernel.execute("%%html\n<table><tr><td>1</td></tr></table>");
    assertThat(html.content().get("status").asText()).isEqualTo("ok");
    assertThat(data(html, "display_data").get("text/html").asText()).isEqualTo("<table><tr><td>1</td></tr></table>");
    assertThat(html.iopub("execute_result")).isEmpty();
    var md = kernel.execute("%%markdown\n## Results\n* one");
    assertThat(data(md, "display_data").get("text/markdown").asText()).isEqualTo("## Results\n* one");
  }

  @Test
  void timePrintsWallTimeAndKeepsTheValue() throws Exception {
    var r = kernel.execute("%%time\nint n = 0;\nfor (int i = 0; i < 1000; i++) n += i;\nn");
    assertThat(r.content().get("status").asText()).isEqualTo("ok");
    assertThat(r.stream("stdout")).matches("Wall time: [0-9.]+ (s|ms|\u00b5s|ns)\n");
    assertThat(data(r, "execute_result").get("text/plain").asText()).isEqualTo("499500");
  }

  @Test
  void anUnknownCellMagicIsAnErrorListingTheKnownOnes() throws Exception {
    var r = kernel.execute("%%writefile x.txt\nhello");
    assertThat(r.content().get("status").asText()).isEqualTo("error");
    assertThat(r.content().get("ename").asText()).isEqualTo("MagicException");
    assertThat(r.content().get("evalue").asText())
        .isEqualTo("unknown cell magic %%writefile (known: %%html %%loadFromPOM %%markdown %%time)");
    assertThat(kernel.execute("1 + 1").content().get("status").asText()).isEqualTo("ok");
  }
}
