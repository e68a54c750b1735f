package dev.tfkit.cli;

import picocli.CommandLine;

/** A service (META-INF/services) that adds subcommands to the {@code tfkit} command line. */
public interface CliExtension {
  /** Adds this extension's subcommands to {@code root}. */
  void register(CommandLine root);
}
