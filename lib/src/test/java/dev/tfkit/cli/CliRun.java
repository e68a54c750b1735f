package dev.tfkit.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** One run of the {@code tfkit} command line inside the test's JVM: the exit code and what it printed. */
public record CliRun(int code, String out, String err) {
  /** Runs {@code tfkit args...} with picocli's output and error writers captured. */
  public static CliRun tfkit(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = TfkitCli.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new CliRun(code, out.toString(), err.toString());
  }
}
