package dev.tfkit.cli.notebooks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.cli.TfkitCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command and subcommand of both jars answers {@code --help} and {@code -h} with its usage and exit code 0. */
class CliHelpTest {
  private static void paths(CommandLine cl, List<String> prefix, List<List<String>> out) {
    for (var e : cl.getSubcommands().entrySet()) {
      if (e.getValue().getCommandSpec().name().equals(e.getKey())) {
        List<String> p = new ArrayList<>(prefix);
        p.add(e.getKey());
        out.add(p);
        paths(e.getValue(), p, out);
      }
    }
  }

  @Test
  void everyCommandPrintsItsHelpAndExitsZero() {
    List<List<String>> commands = new ArrayList<>();
    commands.add(List.of());
    paths(TfkitCli.commandLine(), List.of(), commands);
    // Both jars' commands are registered: the library's and the kernel's.
    assertThat(commands).contains(List.of("run"), List.of("serve"), List.of("demo"), List.of("kernel", "install"));
    List<String> problems = new ArrayList<>();
    for (List<String> command : commands) {
      for (String flag : List.of("--help", "-h")) {
        CommandLine cl = TfkitCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        List<String> args = new ArrayList<>(command);
        args.add(flag);
        int code = cl.execute(args.toArray(new String[0]));
        String usage = "Usage: tfkit" + (command.isEmpty() ? "" : " " + String.join(" ", command));
        if (code != 0 || !out.toString().contains(usage)) {
          problems.add(args + " -> exit " + code + ", out: " + out.toString().lines().findFirst().orElse("")
              + ", err: " + err.toString().lines().findFirst().orElse(""));
        }
      }
    }
    assertThat(problems).isEmpty();
  }
}
