package dev.tfkit.cli.notebooks;

import dev.tfkit.cli.CliExtension;
import picocli.CommandLine;

/**
 * The kernel module's commands — {@code kernel}, {@code run-notebook}, {@code demo} and {@code
 * doctor} — added to the {@code tfkit} command line as one {@link CliExtension} service (lib's
 * {@code TfkitCli} finds it with {@link java.util.ServiceLoader} when this module is on the class
 * path).
 */
public final class NotebookCommands implements CliExtension {
  @Override
  public void register(CommandLine root) {
    root.addSubcommand(new CommandLine(new RunNotebookCommand()));
    root.addSubcommand(new KernelCommand());
    root.addSubcommand("demo", new DemoCommand());
    root.addSubcommand("doctor", new DoctorCommand());
  }
}
