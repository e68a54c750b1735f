package dev.tfkit.cli;

import dev.tfkit.graph.GraphDescription;
import dev.tfkit.graph.ModelGraph;
import dev.tfkit.graph.OneDnn;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tfkit show PATH}: signatures, assets, variables and node summary of any model format. */
@Command(
    name = "show",
    mixinStandardHelpOptions = true,
    description = {
      "Show a model: signatures, assets, variables and a node summary (like saved_model_cli show --all).",
      "Works for SavedModels, frozen .pb/.pbtxt graphs, TF1 checkpoints and TF.js graph models."
    })
final class ShowCommand implements Runnable {
  @Parameters(index = "0", paramLabel = "PATH", description = "Model file or folder.")
  Path path;

  @Option(names = "--tag_set", split = ",", description = "SavedModel tags of the meta graph to show (default: serve).")
  String[] tags = new String[0];

  @Option(names = "--nodes", paramLabel = "REGEX", description = "Also list nodes whose name or op matches REGEX, with dtypes and shapes.")
  String nodes;

  @Option(names = "--svg", paramLabel = "FILE",
      description = "Also draw the graph around the --around nodes as SVG into FILE (needs Graphviz's dot).")
  Path svg;

  @Option(names = "--around", split = ",", paramLabel = "NODE",
      description = "Nodes (or tensors) the --svg picture is around, e.g. a cut (default: the likely outputs).")
  String[] around = new String[0];

  @Option(names = "--hops", paramLabel = "N", defaultValue = "3",
      description = "How many edges away from the --around nodes the picture reaches (default: ${DEFAULT-VALUE}).")
  int hops;

  @Override
  public void run() {
    try (ModelGraph g = ModelGraph.load(path, tags)) {
      System.out.print(GraphDescription.describe(g, nodes));
      System.out.println("\nruntime: " + OneDnn.describe(System.getenv()));
      if (svg != null) {
        String[] centre = around.length > 0 ? around : g.likelyOutputs().toArray(String[]::new);
        g.pictureAround(hops, centre).writeSvg(svg);
        System.out.println("\nwrote " + svg + ": the graph " + hops + " hops around " + String.join(", ", centre));
      }
    }
  }
}
