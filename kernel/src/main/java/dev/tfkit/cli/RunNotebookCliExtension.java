package dev.tfkit.cli;

import picocli.CommandLine;

/** Adds {@code run-notebook} to the {@code tfkit} command line (a {@link CliExtension} service). */
public final class RunNotebookCliExtension implements CliExtension {
  @Override
  public void register(CommandLine root) {
    root.addSubcommand(new CommandLine(new RunNotebookCommand()));
  }
}
