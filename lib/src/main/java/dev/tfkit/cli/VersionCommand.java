package dev.tfkit.cli;

import dev.tfkit.io.BuildVersions;
import org.tensorflow.TensorFlow;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** {@code tfkit version}: tfkit's version and the TensorFlow, protobuf and gRPC versions it runs on. */
@Command(name = "version", description = "Print tfkit's version and the versions it is built on.")
final class VersionCommand implements Runnable {
  @CommandLine.Option(
      names = "--tensorflow",
      description = "Also load TensorFlow's native runtime and print its version (takes seconds).")
  boolean tensorflow;

  @Override
  public void run() {
    for (String line : new Provider().getVersion()) {
      System.out.println(line);
    }
    if (tensorflow) {
      System.out.println("tensorflow runtime " + TensorFlow.version());
    }
  }

  static final class Provider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      var v = BuildVersions.all();
      return new String[] {
        "tfkit " + v.get("tfkit"),
        "tensorflow-java " + v.get("tensorflow-java"),
        "protobuf-java " + v.get("protobuf-java"),
        "grpc-java " + v.get("grpc-java"),
        "java " + System.getProperty("java.version"),
      };
    }
  }
}
