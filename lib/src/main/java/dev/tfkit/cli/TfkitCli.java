package dev.tfkit.cli;

import java.util.ServiceLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * The {@code tfkit} command line: a thin layer over the public Java API.
 *
 * <p>Commands of other modules (the kernel's {@code kernel}, {@code run-notebook}, {@code demo})
 * join through {@link CliExtension} services, so the library does not depend on them.
 */
@Command(
    name = "tfkit",
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = "Load, cut, export, serve and call TensorFlow models from Java.",
    footer = {
      "",
      "The ./tfkit launcher also takes, before the command: --onednn on|off (TensorFlow's oneDNN",
      "rewrites, on by default on x86; TFKIT_ONEDNN=on|off does the same)."
    },
    subcommands = {
      VersionCommand.class,
      ClasspathCommand.class,
      ShowCommand.class,
      ExportCommand.class,
      DockerRunCommand.class,
      RunCommand.class,
      LatentIndexCommand.class,
      ServeCommand.class,
      LogsCommand.class,
      JShellCommand.class,
      CommandLine.HelpCommand.class,
    })
public final class TfkitCli implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Builds the command line with every registered extension's subcommands. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new TfkitCli());
    for (CliExtension ext : ServiceLoader.load(CliExtension.class)) {
      ext.register(cl);
    }
    cl.setExecutionExceptionHandler(new ErrorHandler());
    withHelp(cl);
    return cl;
  }

  /** Gives every command, however registered, {@code -h/--help} (printing its usage, exit 0). */
  private static void withHelp(CommandLine cl) {
    if (cl.getCommandSpec().optionsMap().get("--help") == null) {
      cl.getCommandSpec().mixinStandardHelpOptions(true);
    }
    cl.getSubcommands().values().forEach(TfkitCli::withHelp);
  }

  public static void main(String[] args) {
    ConsoleLogging.install();
    int code;
    try {
      code = commandLine().execute(args);
    } catch (LinkageError | VirtualMachineError e) {
      // picocli handles exceptions; errors (a broken classpath, out of memory) get one line too.
      System.err.println("tfkit: " + e);
      code = 70;
    }
    System.exit(code);
  }

  /** Prints an error as one clear line (the message names what failed) instead of a stack trace. */
  static final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(
        Exception ex, CommandLine cl, CommandLine.ParseResult parseResult) {
      String msg = ex.getMessage() == null ? ex.toString() : ex.getMessage();
      cl.getErr().println("tfkit " + cl.getCommandName() + ": " + msg);
      if (System.getenv("TFKIT_DEBUG") != null) {
        ex.printStackTrace(cl.getErr());
      }
      return ex instanceof IllegalArgumentException ? 2 : 1;
    }
  }
}
