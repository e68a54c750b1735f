package dev.tfkit.cli;

import picocli.CommandLine;

/** Adds the kernel module's commands ({@code tfkit kernel ...}) to the tfkit command line. */
public final class KernelCliExtension implements CliExtension {
  @Override
  public void register(CommandLine root) {
    root.addSubcommand(new KernelCommand());
  }
}
