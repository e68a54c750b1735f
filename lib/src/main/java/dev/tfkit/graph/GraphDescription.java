package dev.tfkit.graph;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import tech.tablesaw.api.Table;

/**
 * The text {@code tfkit show} prints: signatures the way {@code saved_model_cli show --all} does,
 * then assets, variables and the node summary.
 */
public final class GraphDescription {
  private GraphDescription() {}

  /**
   * Describes {@code g}; when {@code nodeRegex} is not null, also lists the matching nodes with their
   * dtypes and shapes.
   */
  public static String describe(ModelGraph g, String nodeRegex) {
    StringBuilder sb = new StringBuilder();
    sb.append("format: ").append(g.format()).append('\n');
    if (g.source() != null) sb.append("source: ").append(g.source()).append('\n');
    if (!g.tags().isEmpty()) sb.append("\nMetaGraphDef with tag-set: '").append(String.join(", ", new TreeSet<>(g.tags())))
        .append("' contains the following SignatureDefs:\n");
    else if (!g.signatures().isEmpty()) sb.append("\nSignatureDefs:\n");
    for (Map.Entry<String, SignatureDef> e : new TreeMap<>(g.signatures()).entrySet()) {
      SignatureDef s = e.getValue();
      sb.append("\nsignature_def['").append(e.getKey()).append("']:\n");
      sb.append("  The given SavedModel SignatureDef contains the following input(s):\n");
      new TreeMap<>(s.getInputsMap()).forEach((k, ti) -> tensorInfo(sb, "inputs", k, ti));
      sb.append("  The given SavedModel SignatureDef contains the following output(s):\n");
      new TreeMap<>(s.getOutputsMap()).forEach((k, ti) -> tensorInfo(sb, "outputs", k, ti));
      sb.append("  Method name is: ").append(s.getMethodName()).append('\n');
    }
    if (!g.assets().isEmpty()) sb.append("\nassets: ").append(g.assets()).append('\n');
    if (!g.variables().isEmpty()) {
      sb.append("\nvariables (restored):\n");
      int shown = 0;
      for (Map.Entry<String, TensorProto> v : g.variables().entrySet()) {
        if (shown++ == 50) {
          sb.append("  ... ").append(g.variables().size() - 50).append(" more\n");
          break;
        }
        sb.append("  ").append(v.getKey()).append(' ').append(v.getValue().getDtype()).append(' ')
            .append(shape(v.getValue().getTensorShape())).append('\n');
      }
    }
    sb.append('\n').append(g.summary().format());
    if (nodeRegex != null) {
      sb.append('\n');
      Set<String> names = new HashSet<>();
      for (NodeDef n : g.find(nodeRegex)) names.add(n.getName());
      Table t = g.table();
      Table rows = t.where(t.stringColumn("name").isIn(names)).selectColumns("name", "op", "dtypes", "shapes", "const_bytes");
      sb.append(rows.rowCount() == 0 ? "no node matches '" + nodeRegex + "'\n" : rows.printAll()).append('\n');
    }
    return sb.toString();
  }

  private static void tensorInfo(StringBuilder sb, String side, String key, TensorInfo ti) {
    sb.append("    ").append(side).append("['").append(key).append("'] tensor_info:\n");
    sb.append("        dtype: ").append(ti.getDtype()).append('\n');
    sb.append("        shape: ").append(ti.hasTensorShape() ? shape(ti.getTensorShape()) : "unknown_rank").append('\n');
    sb.append("        name: ").append(ti.getName()).append('\n');
  }

  static String shape(TensorShapeProto p) {
    if (p.getUnknownRank()) return "unknown_rank";
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < p.getDimCount(); i++) sb.append(i > 0 ? ", " : "").append(p.getDim(i).getSize());
    return sb.append(p.getDimCount() == 1 ? ",)" : ")").toString();
  }
}
