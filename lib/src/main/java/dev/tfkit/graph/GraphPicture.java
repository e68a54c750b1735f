package dev.tfkit.graph;

import dev.tfkit.io.AtomicFiles;
import dev.tfkit.io.ShortCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * A picture of the part of a graph around some nodes (a cut, an input, an output): the nodes within
 * a few hops of them, both ways, laid out top to bottom by Graphviz {@code dot} and kept as SVG for
 * a notebook or a file ({@code tfkit show --svg}). The nodes asked for are filled; a node with
 * inputs or consumers outside the picture gets a dashed border.
 *
 * @param centre the nodes the picture is around
 * @param hops how many edges away from them nodes are still drawn
 * @param dot the Graphviz source
 * @param svg the SVG Graphviz drew
 */
public record GraphPicture(List<String> centre, int hops, String dot, String svg) {
  /** The largest number of nodes drawn; beyond it the farthest are left out. */
  public static final int MAX_NODES = 200;

  /**
   * The picture of {@code graph} around {@code centre}, drawn by the {@code dot} on the PATH
   * ({@code $TFKIT_DOT} names another).
   *
   * @throws IllegalArgumentException naming a centre node the graph lacks
   * @throws IllegalStateException when Graphviz is missing or fails (with what to install)
   */
  public static GraphPicture around(GraphDef graph, Collection<String> centre, int hops) {
    String source = dot(graph, centre, hops);
    return new GraphPicture(List.copyOf(centre), hops, source, render(source));
  }

  /** The Graphviz source of the picture (no Graphviz needed). */
  public static String dot(GraphDef graph, Collection<String> centre, int hops) {
    if (centre.isEmpty()) throw new IllegalArgumentException("no node to draw the graph around");
    if (hops < 0) throw new IllegalArgumentException("hops must be >= 0, was " + hops);
    Map<String, NodeDef> byName = new HashMap<>();
    Map<String, List<String>> consumers = new HashMap<>();
    for (NodeDef n : graph.getNodeList()) {
      byName.put(n.getName(), n);
      for (String in : n.getInputList()) consumers.computeIfAbsent(TensorName.parse(in).node(), k -> new ArrayList<>()).add(n.getName());
    }
    List<String> roots = new ArrayList<>();
    for (String c : centre) {
      String name = TensorName.parse(c).node();
      if (!byName.containsKey(name)) throw new IllegalArgumentException(NameSuggestions.notFound("node", name, byName.keySet()));
      roots.add(name);
    }
    // Breadth first from the centre, both directions, nearest first.
    Set<String> keep = new LinkedHashSet<>(roots);
    Deque<String> queue = new ArrayDeque<>(roots);
    Map<String, Integer> dist = new HashMap<>();
    for (String r : roots) dist.put(r, 0);
    while (!queue.isEmpty() && keep.size() < MAX_NODES) {
      String n = queue.poll();
      int d = dist.get(n);
      if (d == hops) continue;
      List<String> next = new ArrayList<>();
      for (String in : byName.get(n).getInputList()) next.add(TensorName.parse(in).node());
      next.addAll(consumers.getOrDefault(n, List.of()));
      for (String m : next) {
        if (byName.containsKey(m) && !dist.containsKey(m) && keep.size() < MAX_NODES) {
          dist.put(m, d + 1);
          keep.add(m);
          queue.add(m);
        }
      }
    }
    StringBuilder s = new StringBuilder("digraph tfkit {\n")
        .append("  graph [rankdir=TB, nodesep=0.25, ranksep=0.35, fontname=\"Helvetica\"];\n")
        .append("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=10];\n")
        .append("  edge [fontname=\"Helvetica\", fontsize=8, color=\"#666666\", arrowsize=0.6];\n");
    Map<String, String> id = new HashMap<>();
    int i = 0;
    for (String n : keep) id.put(n, "n" + i++);
    Set<String> centreSet = Set.copyOf(roots);
    for (String n : keep) {
      NodeDef def = byName.get(n);
      boolean cutOff = false;
      for (String in : def.getInputList()) cutOff |= !keep.contains(TensorName.parse(in).node());
      for (String c : consumers.getOrDefault(n, List.of())) cutOff |= !keep.contains(c);
      String fill = centreSet.contains(n) ? "#ffd54f" : def.getOp().equals("Const") ? "#eeeeee"
          : def.getOp().equals("Placeholder") ? "#c8e6c9" : "#ffffff";
      String style = "rounded,filled" + (cutOff ? ",dashed" : "");
      s.append("  ").append(id.get(n)).append(" [label=\"").append(quote(n)).append("\\n").append(quote(def.getOp()))
          .append("\", fillcolor=\"").append(fill).append("\", style=\"").append(style).append("\", tooltip=\"")
          .append(quote(n)).append("\"];\n");
    }
    for (String n : keep) {
      for (String in : byName.get(n).getInputList()) {
        TensorName t = TensorName.parse(in);
        if (!keep.contains(t.node())) continue;
        s.append("  ").append(id.get(t.node())).append(" -> ").append(id.get(n));
        if (t.isControl()) s.append(" [style=dotted]");
        else if (t.index() > 0) s.append(" [label=\":").append(t.index()).append("\"]");
        s.append(";\n");
      }
    }
    return s.append("}\n").toString();
  }

  /** Writes {@link #svg()} to {@code file} (through a temporary sibling, renamed into place). */
  public void writeSvg(Path file) {
    AtomicFiles.writeString(file, svg);
  }

  private static String render(String dotSource) {
    String env = System.getenv("TFKIT_DOT");
    String dot = env == null || env.isBlank() ? "dot" : env;
    Path in = null;
    try {
      in = Files.createTempFile("tfkit-graph-", ".dot");
      Files.writeString(in, dotSource, StandardCharsets.UTF_8);
      ShortCommand.Result r = ShortCommand.run(List.of(dot, "-Tsvg", in.toString()), 60);
      if (r.exitCode() == ShortCommand.NOT_FOUND) {
        throw new IllegalStateException("Graphviz '" + dot + "' could not be started (" + r.output()
            + "); install Graphviz (Debian: apt-get install graphviz) or set TFKIT_DOT to its dot");
      }
      if (!r.ok() || !r.output().contains("<svg")) {
        throw new IllegalStateException("Graphviz '" + dot + "' failed (exit " + r.exitCode() + "): " + r.output());
      }
      String out = r.output();
      return out.substring(out.indexOf("<svg")); // inline SVG: without the XML prolog and doctype
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the Graphviz input", e);
    } finally {
      if (in != null) {
        try {
          Files.deleteIfExists(in);
        } catch (IOException ignored) {
          // a temp file left behind
        }
      }
    }
  }

  private static String quote(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }
}
