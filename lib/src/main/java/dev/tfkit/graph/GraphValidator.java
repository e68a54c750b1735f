package dev.tfkit.graph;

import dev.tfkit.tensor.NativeLimits;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * Checks a GraphDef in Java before any native call sees it: node names, dangling inputs, cycles
 * (other than while-loop back edges), ops the runtime does not know, and every attribute's
 * tensors, shapes and dtypes against TensorFlow's fatal limits ({@link NativeLimits}). Every failure names the
 * source and the node.
 */
public final class GraphValidator {
  private static final Pattern NODE_NAME = Pattern.compile("[A-Za-z0-9.][A-Za-z0-9_./>\\-]*");

  private GraphValidator() {}

  /** Whether {@code name} is a node name TensorFlow accepts. */
  static boolean isValidNodeName(String name) {
    return name != null && NODE_NAME.matcher(name).matches();
  }

  /**
   * Validates {@code graph}; {@code source} (a file name or "graph") starts every error message.
   *
   * @throws IllegalArgumentException naming the source and the offending node
   */
  public static void validate(GraphDef graph, String source) {
    if (graph.getNodeCount() == 0) {
      throw new IllegalArgumentException(source + ": the graph has no nodes (not a TensorFlow GraphDef?)");
    }
    Set<String> functions = new HashSet<>();
    for (FunctionDef f : graph.getLibrary().getFunctionList()) functions.add(f.getSignature().getName());
    Map<String, NodeDef> byName = new HashMap<>();
    for (NodeDef n : graph.getNodeList()) {
      String name = n.getName();
      if (!NODE_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(source + ": invalid node name '" + printable(name) + "' (op '" + printable(n.getOp()) + "')");
      }
      if (byName.put(name, n) != null) {
        throw new IllegalArgumentException(source + ": duplicate node name '" + name + "'");
      }
      if (n.getOp().isEmpty()) {
        throw new IllegalArgumentException(source + ": node '" + name + "' has no op");
      }
    }
    Set<String> unknownOps = new TreeSet<>();
    String firstUnknownNode = null;
    for (NodeDef n : graph.getNodeList()) {
      if (!OpRegistry.has(n.getOp()) && !functions.contains(n.getOp())) {
        if (unknownOps.isEmpty()) firstUnknownNode = n.getName();
        unknownOps.add(n.getOp());
      }
    }
    for (FunctionDef f : graph.getLibrary().getFunctionList()) {
      for (NodeDef n : f.getNodeDefList()) {
        if (!OpRegistry.has(n.getOp()) && !functions.contains(n.getOp())) {
          if (unknownOps.isEmpty()) firstUnknownNode = f.getSignature().getName() + "/" + n.getName();
          unknownOps.add(n.getOp());
        }
      }
    }
    if (!unknownOps.isEmpty()) {
      throw new IllegalArgumentException(
          source + ": op" + (unknownOps.size() > 1 ? "s " : " ") + String.join(", ", unknownOps)
              + " unknown to the TensorFlow runtime (first at node '" + firstUnknownNode + "')");
    }
    for (NodeDef n : graph.getNodeList()) {
      for (String in : n.getInputList()) {
        TensorName t;
        try {
          t = TensorName.parse(in);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(source + ": node '" + n.getName() + "' has a bad input '" + printable(in) + "'");
        }
        if (!byName.containsKey(t.node())) {
          throw new IllegalArgumentException(
              source + ": node '" + n.getName() + "' reads "
                  + NameSuggestions.notFound("node", t.node(), byName.keySet()));
        }
      }
    }
    checkAcyclic(graph, byName, source);
    NativeLimits.checkGraph(graph, source);
  }

  /** Kahn's algorithm; NextIteration outputs are loop back edges and do not count. */
  private static void checkAcyclic(GraphDef graph, Map<String, NodeDef> byName, String source) {
    Map<String, Integer> indegree = new HashMap<>();
    Map<String, List<String>> consumers = new HashMap<>();
    for (NodeDef n : graph.getNodeList()) indegree.putIfAbsent(n.getName(), 0);
    for (NodeDef n : graph.getNodeList()) {
      for (String in : n.getInputList()) {
        String src = TensorName.parse(in).node();
        NodeDef s = byName.get(src);
        if (s.getOp().equals("NextIteration") || s.getOp().equals("RefNextIteration")) continue;
        indegree.merge(n.getName(), 1, Integer::sum);
        consumers.computeIfAbsent(src, k -> new ArrayList<>()).add(n.getName());
      }
    }
    Deque<String> ready = new ArrayDeque<>();
    indegree.forEach((k, v) -> {
      if (v == 0) ready.add(k);
    });
    int seen = 0;
    while (!ready.isEmpty()) {
      String n = ready.poll();
      seen++;
      for (String c : consumers.getOrDefault(n, List.of())) {
        if (indegree.merge(c, -1, Integer::sum) == 0) ready.add(c);
      }
    }
    if (seen < indegree.size()) {
      // Name a node that sits on a cycle: walk inputs among the unresolved nodes until one repeats.
      String start = null;
      for (NodeDef n : graph.getNodeList()) {
        if (indegree.get(n.getName()) > 0) {
          start = n.getName();
          break;
        }
      }
      Set<String> path = new HashSet<>();
      String cur = start;
      while (cur != null && path.add(cur)) {
        String next = null;
        for (String in : byName.get(cur).getInputList()) {
          String src = TensorName.parse(in).node();
          if (indegree.get(src) > 0 && !byName.get(src).getOp().endsWith("NextIteration")) {
            next = src;
            break;
          }
        }
        cur = next;
      }
      throw new IllegalArgumentException(
          source + ": the graph has a cycle through node '" + (cur != null ? cur : start) + "'");
    }
  }

  private static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (sb.length() > 80) return sb + "...";
      sb.append(c >= 32 && c < 127 ? String.valueOf(c) : String.format("\\u%04x", (int) c));
    }
    return sb.toString();
  }
}
