package dev.tfkit.kernel.display;

import dev.tfkit.graph.GraphPicture;
import dev.tfkit.graph.GraphSummary;
import dev.tfkit.graph.ModelGraph;
import dev.tfkit.savedmodel.SavedModelInfo;
import dev.tfkit.serving.ModelMetadata;
import dev.tfkit.serving.Prediction;
import dev.tfkit.tensor.DataTypes;
import dev.tfkit.tensor.TensorValue;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;

/**
 * Small HTML summaries of tfkit's own types — a tensor, a prediction, a loaded graph, a SavedModel
 * — so a notebook shows what matters at a glance instead of a {@code toString()} line.
 */
final class TfkitRenderers {
  private static final String STYLE =
      "<style>.tfkit-sum td,.tfkit-sum th{padding:2px 10px;text-align:left;font-family:monospace}"
          + ".tfkit-sum caption{text-align:left;font-weight:bold}</style>";
  private static final int PREVIEW = 8;

  private TfkitRenderers() {}

  static void registerAll(DisplayRegistry r) {
    r.register(TensorValue.class, TfkitRenderers::tensor);
    r.register(Prediction.class, TfkitRenderers::prediction);
    r.register(ModelGraph.class, TfkitRenderers::graph);
    r.register(GraphSummary.class, TfkitRenderers::summary);
    r.register(SavedModelInfo.class, TfkitRenderers::savedModel);
    r.register(GraphPicture.class, TfkitRenderers::picture);
    r.register(ModelMetadata.class, TfkitRenderers::metadata);
  }

  private static void tensor(TensorValue v, MimeBundle.Builder out) {
    out.put("text/html", STYLE + "<table class=\"tfkit-sum\"><caption>TensorValue</caption>"
        + row("dtype", DataTypes.name(v.dtype())) + row("shape", Arrays.toString(v.shape()))
        + row("values", preview(v)) + "</table>");
    out.put("text/plain", v.toString());
  }

  private static void prediction(Prediction p, MimeBundle.Builder out) {
    StringBuilder h = new StringBuilder(STYLE).append("<table class=\"tfkit-sum\"><caption>Prediction · ")
        .append(Html.escape(p.modelName()))
        .append(p.version().isPresent() ? " v" + p.version().getAsLong() : "")
        .append(" · ").append(Html.escape(p.signatureName()))
        .append("</caption><tr><th>output</th><th>dtype</th><th>shape</th><th>values</th></tr>");
    for (Map.Entry<String, TensorValue> e : p.outputs().entrySet()) {
      TensorValue v = e.getValue();
      h.append("<tr><td>").append(Html.escape(e.getKey())).append("</td><td>").append(DataTypes.name(v.dtype()))
          .append("</td><td>").append(Arrays.toString(v.shape())).append("</td><td>").append(Html.escape(preview(v))).append("</td></tr>");
    }
    out.put("text/html", h.append("</table>").toString());
    out.put("text/plain", p.toString());
  }

  private static void graph(ModelGraph g, MimeBundle.Builder out) {
    GraphSummary s = g.summary();
    out.put("text/html", STYLE + "<table class=\"tfkit-sum\"><caption>ModelGraph"
        + (g.source() == null ? "" : " · " + Html.escape(String.valueOf(g.source().getFileName())))
        + "</caption>" + row("format", String.valueOf(g.format())) + summaryRows(s) + "</table>");
    out.put("text/plain", g.toString());
  }

  private static void summary(GraphSummary s, MimeBundle.Builder out) {
    out.put("text/html", STYLE + "<table class=\"tfkit-sum\"><caption>Graph summary</caption>" + summaryRows(s) + "</table>");
    out.put("text/plain", s.toString());
  }

  private static String summaryRows(GraphSummary s) {
    StringBuilder ops = new StringBuilder();
    int n = 0;
    for (Map.Entry<String, Integer> e : s.opCounts().entrySet()) {
      if (n++ == 12) {
        ops.append(", …");
        break;
      }
      if (ops.length() > 0) ops.append(", ");
      ops.append(e.getKey()).append('×').append(e.getValue());
    }
    return row("nodes", String.valueOf(s.nodeCount())) + row("ops", ops.toString())
        + row("constant bytes", String.format("%,d", s.constBytes()))
        + row("variables", s.variableCount() + " (" + String.format("%,d", s.variableBytes()) + " bytes)")
        + row("likely inputs", String.valueOf(s.likelyInputs())) + row("likely outputs", String.valueOf(s.likelyOutputs()));
  }

  private static void savedModel(SavedModelInfo info, MimeBundle.Builder out) {
    StringBuilder h = new StringBuilder(STYLE).append("<table class=\"tfkit-sum\"><caption>SavedModel · ")
        .append(Html.escape(String.valueOf(info.dir()))).append("</caption>")
        .append(row("tag sets", String.valueOf(info.tagSets())))
        .append(row("graph bytes", String.format("%,d", info.graphBytes())))
        .append(row("variable bytes", String.format("%,d", info.variableBytes()))).append("</table>");
    // One block per MetaGraph, by its own tag set (a SavedModel has no MetaGraph with no tags).
    for (MetaGraphDef m : info.proto().getMetaGraphsList()) {
      String[] tags = m.getMetaInfoDef().getTagsList().toArray(String[]::new);
      h.append("<table class=\"tfkit-sum\"><caption>MetaGraph · tags ").append(Html.escape(String.join(", ", tags)))
          .append("</caption>").append(row("assets", String.valueOf(info.assets(tags)))).append("</table>");
      h.append(signatures(new TreeMap<>(info.signatures(tags))));
    }
    out.put("text/html", h.toString());
    out.put("text/plain", info.toString());
  }

  private static void picture(GraphPicture p, MimeBundle.Builder out) {
    out.put("image/svg+xml", p.svg());
    out.put("text/plain", "graph around " + p.centre() + ", " + p.hops() + " hops (SVG)");
  }

  private static void metadata(ModelMetadata m, MimeBundle.Builder out) {
    out.put("text/html", STYLE + "<div class=\"tfkit-sum\"><b>Model metadata · " + Html.escape(m.modelSpec().getName())
        + " v" + m.modelSpec().getVersion().getValue() + "</b></div>" + signatures(m.signatures()));
    out.put("text/plain", m.toString());
  }

  private static String signatures(Map<String, SignatureDef> sigs) {
    StringBuilder h = new StringBuilder("<table class=\"tfkit-sum\"><tr><th>signature</th><th>method</th><th></th><th>key</th><th>dtype</th><th>shape</th><th>tensor</th></tr>");
    for (Map.Entry<String, SignatureDef> e : sigs.entrySet()) {
      SignatureDef s = e.getValue();
      io(h, e.getKey(), s.getMethodName(), "in", s.getInputsMap());
      io(h, "", "", "out", s.getOutputsMap());
    }
    return h.append("</table>").toString();
  }

  private static void io(StringBuilder h, String sig, String method, String dir, Map<String, TensorInfo> m) {
    boolean first = true;
    for (Map.Entry<String, TensorInfo> e : m.entrySet()) {
      TensorInfo t = e.getValue();
      h.append("<tr><td>").append(first ? Html.escape(sig) : "").append("</td><td>").append(first ? Html.escape(method) : "")
          .append("</td><td>").append(first ? dir : "").append("</td><td>").append(Html.escape(e.getKey()))
          .append("</td><td>").append(DataTypes.name(t.getDtype())).append("</td><td>")
          .append(Html.escape(SavedModelInfo.shapeText(t.getTensorShape()))).append("</td><td>")
          .append(Html.escape(t.getName())).append("</td></tr>");
      first = false;
      sig = "";
      method = "";
    }
  }

  private static String preview(TensorValue v) {
    try {
      String[] parts;
      if (v.dtype() == DataType.DT_STRING) {
        String[] s = v.strings();
        parts = Arrays.stream(s).limit(PREVIEW).map(x -> '"' + x + '"').toArray(String[]::new);
        return String.join(", ", parts) + (s.length > PREVIEW ? ", … (" + s.length + ")" : "");
      }
      double[] d = v.doubles();
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < Math.min(PREVIEW, d.length); i++) {
        if (i > 0) b.append(", ");
        b.append(d[i] == Math.rint(d[i]) && Math.abs(d[i]) < 1e15 ? String.valueOf((long) d[i]) : String.format("%.4g", d[i]));
      }
      if (d.length > PREVIEW) b.append(", … (").append(d.length).append(')');
      return b.toString();
    } catch (RuntimeException e) {
      return v.toString();
    }
  }

  private static String row(String k, String v) {
    return "<tr><th>" + Html.escape(k) + "</th><td>" + Html.escape(v) + "</td></tr>";
  }
}
