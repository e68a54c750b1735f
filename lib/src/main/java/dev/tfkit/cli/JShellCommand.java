package dev.tfkit.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import jdk.jshell.tool.JavaShellToolBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code tfkit jshell}: JShell with tfkit on the class path and the imports of the README's tour
 * already made, so {@code loadModel(...)}, {@code ServingModel.grpc(...)} and {@code
 * EmbeddedServer.builder()} work at the first prompt. Log records print one per line (as everywhere
 * in tfkit). Other arguments go to jshell unchanged.
 */
@Command(
    name = "jshell",
    mixinStandardHelpOptions = true,
    description = {
      "Start JShell with tfkit on the class path and its usual imports made.",
      "Imports: java.util.*, java.nio.file.*, dev.tfkit.*, static dev.tfkit.Tfkit.*, dev.tfkit.graph.*,"
          + " dev.tfkit.savedmodel.*, dev.tfkit.serving.*, dev.tfkit.server.*. Other arguments go to"
          + " jshell (e.g. --feedback concise, -R-Xmx8g, a script file; jshell's own help: tfkit jshell"
          + " -- --help)."
    })
final class JShellCommand implements Callable<Integer> {
  /** The snippets every tfkit JShell starts with, after JShell's own default imports. */
  static final List<String> STARTUP =
      List.of(
          "import java.util.*;",
          "import java.nio.file.*;",
          "import dev.tfkit.*;",
          "import static dev.tfkit.Tfkit.*;",
          "import dev.tfkit.graph.*;",
          "import dev.tfkit.savedmodel.*;",
          "import dev.tfkit.serving.*;",
          "import dev.tfkit.server.*;",
          "dev.tfkit.cli.ConsoleLogging.install();");

  @CommandLine.Unmatched List<String> jshellArgs = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    // JShell's own defaults: the terminal (with line editing) when there is one.
    return run(null, null, null);
  }

  /** Runs the shell on these streams (tests), or on JShell's defaults where null. */
  int run(InputStream in, PrintStream out, PrintStream err) throws Exception {
    String cp = ClasspathCommand.absoluteClasspath();
    Path startup = Files.createTempFile("tfkit-jshell-", ".jsh");
    try {
      Files.writeString(startup, String.join("\n", STARTUP) + "\n", StandardCharsets.UTF_8);
      List<String> args = new ArrayList<>(List.of(
          "--class-path", cp,
          "--startup", "DEFAULT",
          "--startup", startup.toString(),
          // The JVM that runs the snippets: headless, and knowing where tfkit and its fixtures are.
          "-R-Djava.awt.headless=true",
          "-R-Dtfkit.classpath=" + cp));
      String root = System.getProperty("tfkit.repo.root");
      if (root != null) {
        args.add("-R-Dtfkit.repo.root=" + root);
      }
      args.addAll(jshellArgs);
      JavaShellToolBuilder shell = JavaShellToolBuilder.builder();
      if (in != null) {
        shell.in(in, null).interactiveTerminal(false);
      }
      if (out != null) {
        shell.out(out);
      }
      if (err != null) {
        shell.err(err);
      }
      return shell.start(args.toArray(new String[0]));
    } finally {
      Files.deleteIfExists(startup);
    }
  }
}
