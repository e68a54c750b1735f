package dev.tfkit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.zoo.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code tfkit jshell}: a real JShell (its snippets in a child JVM) with tfkit and its imports ready. */
class JShellCommandTest {
  @Test
  void theFirstPromptKnowsTfkitsApiAndArgumentsReachJshell() throws Exception {
    String saved = System.getProperty("tfkit.classpath");
    // Surefire's own class path may be a manifest-only jar; give JShell the real one.
    System.setProperty("tfkit.classpath", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    try {
      String model = Fixtures.tfServing("saved_model_half_plus_two_cpu/00000123").toString().replace("\\", "\\\\");
      String script = String.join("\n",
          "System.out.println(\"format=\" + loadModel(\"" + model + "\").format());",
          "System.out.println(\"server=\" + EmbeddedServer.class.getName() + \" client=\" + ServingModel.class.getName());",
          "System.out.println(\"export=\" + GraphExport.class.getName() + \" nio=\" + Path.of(\"a\"));",
          "java.util.logging.Logger.getLogger(\"dev.tfkit.server\").info(\"one line\");",
          "/exit 3",
          "");
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      JShellCommand cmd = new JShellCommand();
      cmd.jshellArgs = List.of("--feedback", "silent");
      int code = cmd.run(new ByteArrayInputStream(script.getBytes(StandardCharsets.UTF_8)),
          new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
      String text = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
      assertThat(code).as(text).isEqualTo(3);
      assertThat(text)
          .contains("format=SAVED_MODEL")
          .contains("server=dev.tfkit.server.EmbeddedServer client=dev.tfkit.serving.ServingModel")
          .contains("export=dev.tfkit.graph.GraphExport nio=a")
          .containsPattern("\\d\\d:\\d\\d:\\d\\d INFO dev\\.tfkit\\.server: one line")
          .as("--feedback silent reached jshell: no 'jshell>' prompts").doesNotContain("jshell>");
    } finally {
      if (saved == null) System.clearProperty("tfkit.classpath");
      else System.setProperty("tfkit.classpath", saved);
    }
  }
}
