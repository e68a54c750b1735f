package dev.tfkit.cli.notebooks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.cli.TfkitCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code tfkit demo}'s options, refused before anything runs (the demo itself: DemoTest). */
class DemoCommandTest {
  @Test
  void anUnknownStylizerIsAUsageErrorThatNamesTheChoices(@TempDir Path tmp) {
    StringWriter err = new StringWriter();
    CommandLine cl = TfkitCli.commandLine();
    cl.setErr(new PrintWriter(err, true));
    Path out = tmp.resolve("demo");
    int code = cl.execute("demo", "--stylizer", "cartoon", "--out", out.toString());
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("--stylizer: unknown stylizer 'cartoon'; use whitebox or filter");
    assertThat(Files.exists(out)).as("nothing ran").isFalse();
  }

  @Test
  void helpNamesBothStylizersAndTheLicense() {
    StringWriter out = new StringWriter();
    CommandLine cl = TfkitCli.commandLine();
    cl.setOut(new PrintWriter(out, true));
    assertThat(cl.execute("demo", "--help")).isZero();
    assertThat(out.toString().replaceAll("\\s+", " ")).contains("--stylizer=whitebox|filter").contains("CC BY-NC-SA 4.0");
  }
}
