package dev.tfkit.notebook.parameters;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes parameters as Java declarations: the type of each follows its declaration in the
 * parameters cell ({@code int epochs = 10;} stays an {@code int}), otherwise it is inferred from
 * the value; a value that cannot be of the type is refused, naming the parameter and the type.
 */
final class JavaParameters implements ParameterLanguage {

  /** The Java types a parameter can be injected as. */
  enum Kind {
    INT("int"),
    LONG("long"),
    DOUBLE("double"),
    FLOAT("float"),
    BOOLEAN("boolean"),
    STRING("String"),
    LIST("List"),
    ARRAY("array");

    final String javaName;

    Kind(String javaName) {
      this.javaName = javaName;
    }
  }

  /** A parameter's Java type: kind, element type for lists and arrays, and the text to declare it with. */
  record JavaType(Kind kind, JavaType element, String declared) {
    String describe() {
      return declared;
    }
  }

  /** A declaration found in the parameters cell: the type (null when unsupported) and its text. */
  record Declaration(String name, String typeText, JavaType type, String defaultExpr) {}

  private static final Pattern DECL =
      Pattern.compile(
          "^(?:(?:final|static|public|private|protected)\\s+)*"
              + "([A-Za-z_$][\\w$.]*(?:\\s*<.*>)?(?:\\s*\\[\\s*\\])*)\\s+"
              + "([A-Za-z_$][\\w$]*)\\s*(?:=\\s*(.*))?$",
          Pattern.DOTALL);
  private static final Pattern INT_LIT = Pattern.compile("[+-]?\\d[\\d_]*");
  private static final Pattern LONG_LIT = Pattern.compile("[+-]?\\d[\\d_]*[lL]");
  private static final Pattern FLOAT_LIT =
      Pattern.compile("[+-]?(\\d[\\d_]*\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?[fF]");
  private static final Pattern DOUBLE_LIT =
      Pattern.compile("[+-]?((\\d[\\d_]*\\.\\d*|\\.\\d+)([eE][+-]?\\d+)?|\\d[\\d_]*[eE][+-]?\\d+)[dD]?|[+-]?\\d+[dD]");
  private static final String SUPPORTED =
      "int, long, double, float, boolean, String, List<...> and arrays of these";

  @Override
  public Injection inject(String parametersCell, Map<String, Object> values) {
    Map<String, Declaration> declared = declarations(parametersCell == null ? "" : parametersCell);
    StringBuilder src = new StringBuilder("// Parameters\n");
    Map<String, Object> typed = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : values.entrySet()) {
      String name = e.getKey();
      Object value = e.getValue();
      Declaration d = declared.get(name);
      JavaType type;
      String typeText;
      if (d != null) {
        if (d.type() == null) {
          throw new IllegalArgumentException(
              "parameter '" + name + "' is declared as " + d.typeText()
                  + " in the parameters cell; run-notebook can inject " + SUPPORTED);
        }
        type = d.type();
        typeText = d.typeText();
      } else {
        type = infer(name, value);
        typeText = type.declared();
      }
      Object converted = convert(name, value, type);
      typed.put(name, converted);
      src.append(typeText).append(' ').append(name).append(" = ")
          .append(literal(converted, type)).append(";\n");
    }
    return new Injection(src.toString(), typed);
  }

  /** The declarations of a parameters cell, by name, in order. */
  static Map<String, Declaration> declarations(String source) {
    Map<String, Declaration> out = new LinkedHashMap<>();
    for (String stmt : statements(stripComments(source))) {
      Matcher m = DECL.matcher(stmt.trim());
      if (!m.matches()) continue;
      String typeText = m.group(1).replaceAll("\\s+", "");
      String name = m.group(2);
      String def = m.group(3) == null ? null : m.group(3).trim();
      if (typeText.equals("return") || typeText.equals("new")) continue;
      JavaType type = typeText.equals("var") ? typeOfExpression(def) : parseType(typeText);
      if (typeText.equals("var") && type != null) typeText = "var";
      out.put(name, new Declaration(name, typeText, type, def));
    }
    return out;
  }

  /** The Java type named by a declaration, or null when it is not one tfkit can inject. */
  static JavaType parseType(String t) {
    t = t.replaceAll("\\s+", "");
    if (t.endsWith("[]")) {
      JavaType el = parseType(t.substring(0, t.length() - 2));
      return el == null || el.kind() == Kind.LIST ? null : new JavaType(Kind.ARRAY, el, t);
    }
    String base = t.contains("<") ? t.substring(0, t.indexOf('<')) : t;
    switch (base) {
      case "int", "Integer", "java.lang.Integer", "short", "Short", "byte", "Byte":
        return new JavaType(Kind.INT, null, t);
      case "long", "Long", "java.lang.Long":
        return new JavaType(Kind.LONG, null, t);
      case "double", "Double", "java.lang.Double":
        return new JavaType(Kind.DOUBLE, null, t);
      case "float", "Float", "java.lang.Float":
        return new JavaType(Kind.FLOAT, null, t);
      case "boolean", "Boolean", "java.lang.Boolean":
        return new JavaType(Kind.BOOLEAN, null, t);
      case "String", "java.lang.String", "CharSequence":
        return new JavaType(Kind.STRING, null, t);
      case "List", "java.util.List", "Collection", "java.util.Collection", "Iterable":
        if (!t.contains("<")) return new JavaType(Kind.LIST, null, t);
        String arg = t.substring(t.indexOf('<') + 1, t.lastIndexOf('>'));
        if (arg.equals("?") || arg.equals("Object")) return new JavaType(Kind.LIST, null, t);
        if (arg.startsWith("?extends")) arg = arg.substring("?extends".length());
        JavaType el = parseType(arg);
        return el == null || el.kind() == Kind.LIST || el.kind() == Kind.ARRAY
            ? null
            : new JavaType(Kind.LIST, el, t);
      default:
        return null;
    }
  }

  /** The type of a default expression for {@code var} declarations, or null when unclear. */
  static JavaType typeOfExpression(String expr) {
    if (expr == null) return null;
    String e = expr.trim();
    if (LONG_LIT.matcher(e).matches()) return new JavaType(Kind.LONG, null, "long");
    if (INT_LIT.matcher(e).matches()) return new JavaType(Kind.INT, null, "int");
    if (FLOAT_LIT.matcher(e).matches()) return new JavaType(Kind.FLOAT, null, "float");
    if (DOUBLE_LIT.matcher(e).matches()) return new JavaType(Kind.DOUBLE, null, "double");
    if (e.equals("true") || e.equals("false")) return new JavaType(Kind.BOOLEAN, null, "boolean");
    if (e.startsWith("\"")) return new JavaType(Kind.STRING, null, "String");
    if (e.startsWith("List.of(") && e.endsWith(")")) {
      List<String> items = statements(e.substring("List.of(".length(), e.length() - 1), ',');
      JavaType el = items.isEmpty() ? null : typeOfExpression(items.get(0));
      if (el == null) return new JavaType(Kind.LIST, null, "List<Object>");
      return new JavaType(Kind.LIST, el, "List<" + boxed(el.kind()) + ">");
    }
    return null;
  }

  /** The type of an undeclared parameter, from its value. */
  static JavaType infer(String name, Object value) {
    Object v = value instanceof String s ? inferScalar(s) : value;
    if (v == null) {
      throw new IllegalArgumentException(
          "parameter '" + name + "' is null and not declared in the parameters cell; its type is unknown");
    }
    if (v instanceof Integer || v instanceof Short || v instanceof Byte) return simple(Kind.INT);
    if (v instanceof Long) return simple(Kind.LONG);
    if (v instanceof BigInteger b) {
      if (b.bitLength() < 64) return simple(Kind.LONG);
      throw new IllegalArgumentException("parameter '" + name + "': " + b + " does not fit in a long");
    }
    if (v instanceof Number) return simple(Kind.DOUBLE);
    if (v instanceof Boolean) return simple(Kind.BOOLEAN);
    if (v instanceof String) return simple(Kind.STRING);
    if (v instanceof List<?> l) {
      JavaType el = null;
      for (Object item : l) {
        JavaType t = infer(name, item);
        if (t.kind() == Kind.LIST || t.kind() == Kind.ARRAY) {
          throw new IllegalArgumentException("parameter '" + name + "': nested lists cannot be injected");
        }
        el = el == null ? t : widen(name, el, t);
      }
      if (el == null) el = simple(Kind.STRING);
      return new JavaType(Kind.LIST, el, "List<" + boxed(el.kind()) + ">");
    }
    throw new IllegalArgumentException(
        "parameter '" + name + "': a " + NotebookParameters.kind(v) + " cannot be injected; supported: " + SUPPORTED);
  }

  /** A command-line value as what it looks like: int, long, double, boolean, list, else String. */
  static Object inferScalar(String s) {
    String t = s.trim();
    if (INT_LIT.matcher(t).matches() && !t.contains("_")) {
      BigInteger b = new BigInteger(t);
      if (b.bitLength() < 32) return b.intValue();
      if (b.bitLength() < 64) return b.longValue();
      return s;
    }
    if (DOUBLE_LIT.matcher(t).matches() && !t.endsWith("d") && !t.endsWith("D") && !t.contains("_")) {
      return Double.parseDouble(t);
    }
    if (t.equals("true") || t.equals("True")) return Boolean.TRUE;
    if (t.equals("false") || t.equals("False")) return Boolean.FALSE;
    if (t.startsWith("[") && t.endsWith("]")) {
      List<?> l = NotebookParameters.parseList(t);
      if (l != null) return l;
    }
    return s;
  }

  private static JavaType widen(String name, JavaType a, JavaType b) {
    if (a.kind() == b.kind()) return a;
    List<Kind> numeric = List.of(Kind.INT, Kind.LONG, Kind.DOUBLE);
    if (numeric.contains(a.kind()) && numeric.contains(b.kind())) {
      return simple(numeric.get(Math.max(numeric.indexOf(a.kind()), numeric.indexOf(b.kind()))));
    }
    throw new IllegalArgumentException(
        "parameter '" + name + "': list mixes " + a.kind().javaName + " and " + b.kind().javaName
            + " values; declare it in the parameters cell");
  }

  private static JavaType simple(Kind k) {
    return new JavaType(k, null, k.javaName);
  }

  /** Converts a given value to the Java type, or refuses naming the parameter and the type. */
  static Object convert(String name, Object value, JavaType type) {
    try {
      return convertOrNull(name, value, type);
    } catch (NumberFormatException | ArithmeticException e) {
      throw refuse(name, value, type);
    }
  }

  private static Object convertOrNull(String name, Object value, JavaType type) {
    if (value == null) {
      if (type.kind() == Kind.STRING || type.kind() == Kind.LIST || type.kind() == Kind.ARRAY
          || !Character.isLowerCase(type.declared().charAt(0))) {
        return null; // a reference type may be null
      }
      throw refuse(name, null, type);
    }
    switch (type.kind()) {
      case INT, LONG -> {
        BigInteger b;
        if (value instanceof String s && INT_LIT.matcher(s.trim()).matches()) {
          b = new BigInteger(s.trim().replace("_", ""));
        } else if (value instanceof Integer || value instanceof Long || value instanceof Short
            || value instanceof Byte || value instanceof BigInteger) {
          b = new BigInteger(value.toString());
        } else if (value instanceof Number n && !(value instanceof Boolean)) {
          b = new BigDecimal(n.toString()).toBigIntegerExact(); // 3.0 is 3, 3.5 is refused
        } else {
          throw refuse(name, value, type);
        }
        int bits = type.kind() == Kind.INT ? rangeBits(type) : 64;
        if (b.bitLength() >= bits) throw refuse(name, value, type);
        return type.kind() == Kind.INT ? (Object) b.intValue() : (Object) b.longValue();
      }
      case DOUBLE, FLOAT -> {
        double d;
        if (value instanceof Number n) d = n.doubleValue();
        else if (value instanceof String s && looksNumeric(s.trim())) d = Double.parseDouble(s.trim());
        else throw refuse(name, value, type);
        if (type.kind() == Kind.FLOAT) {
          float f = (float) d;
          if (Float.isInfinite(f) && !Double.isInfinite(d)) throw refuse(name, value, type);
          return f;
        }
        return d;
      }
      case BOOLEAN -> {
        if (value instanceof Boolean b) return b;
        if (value instanceof String s) {
          if (s.trim().equalsIgnoreCase("true")) return Boolean.TRUE;
          if (s.trim().equalsIgnoreCase("false")) return Boolean.FALSE;
        }
        throw refuse(name, value, type);
      }
      case STRING -> {
        if (value instanceof List || value instanceof Map) throw refuse(name, value, type);
        return value.toString();
      }
      case LIST, ARRAY -> {
        List<?> items = value instanceof List<?> l ? l
            : value instanceof String s ? NotebookParameters.parseList(s) : null;
        if (items == null) throw refuse(name, value, type);
        JavaType el = type.element();
        if (el == null) el = infer(name, items).element();
        List<Object> out = new ArrayList<>();
        for (Object item : items) {
          if (item == null) throw refuse(name, value, type);
          try {
            out.add(convert(name, item, el));
          } catch (IllegalArgumentException e) {
            throw refuse(name, value, type);
          }
        }
        return new TypedList(out, el);
      }
      default -> throw refuse(name, value, type);
    }
  }

  /** A converted list together with its element type, so the literal gets the right suffixes. */
  record TypedList(List<Object> items, JavaType element) {}

  private static int rangeBits(JavaType t) {
    String base = t.declared();
    if (base.equals("short") || base.equals("Short")) return 16;
    if (base.equals("byte") || base.equals("Byte")) return 8;
    return 32;
  }

  private static boolean looksNumeric(String s) {
    return INT_LIT.matcher(s).matches() || DOUBLE_LIT.matcher(s).matches()
        || s.matches("[+-]?(NaN|Infinity|inf|\\.inf)");
  }

  private static IllegalArgumentException refuse(String name, Object value, JavaType type) {
    return new IllegalArgumentException(
        "parameter '" + name + "': expected " + type.describe() + ", got "
            + (value instanceof String ? "'" + value + "'" : String.valueOf(value)));
  }

  /** The Java source for a converted value. */
  static String literal(Object v, JavaType type) {
    if (v == null) return "null";
    if (v instanceof TypedList tl) {
      List<String> parts = new ArrayList<>();
      for (Object item : tl.items()) parts.add(literal(item, tl.element()));
      if (type.kind() == Kind.ARRAY) {
        return "new " + type.declared() + " {" + String.join(", ", parts) + "}";
      }
      return "List.of(" + String.join(", ", parts) + ")";
    }
    if (v instanceof Integer i) {
      String cast = switch (type.declared()) {
        case "short", "Short" -> "(short) ";
        case "byte", "Byte" -> "(byte) ";
        default -> "";
      };
      return cast + i;
    }
    if (v instanceof Long l) return l + "L";
    if (v instanceof Float f) {
      if (f.isNaN()) return "Float.NaN";
      if (f.isInfinite()) return f > 0 ? "Float.POSITIVE_INFINITY" : "Float.NEGATIVE_INFINITY";
      return f + "f";
    }
    if (v instanceof Double d) {
      if (d.isNaN()) return "Double.NaN";
      if (d.isInfinite()) return d > 0 ? "Double.POSITIVE_INFINITY" : "Double.NEGATIVE_INFINITY";
      return d.toString();
    }
    if (v instanceof Boolean b) return b.toString();
    return stringLiteral(v.toString());
  }

  /** A Java string literal; a backslash is always doubled, so no unicode escape can form. */
  static String stringLiteral(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f) sb.append(String.format("\\u%04x", (int) c));
          else sb.append(c);
        }
      }
    }
    return sb.append('"').toString();
  }

  private static String boxed(Kind k) {
    return switch (k) {
      case INT -> "Integer";
      case LONG -> "Long";
      case DOUBLE -> "Double";
      case FLOAT -> "Float";
      case BOOLEAN -> "Boolean";
      default -> "String";
    };
  }

  /** Removes // and block comments outside string and char literals. */
  static String stripComments(String src) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < src.length()) {
      char c = src.charAt(i);
      if (c == '"' || c == '\'') {
        int j = i + 1;
        while (j < src.length() && src.charAt(j) != c && src.charAt(j) != '\n') {
          if (src.charAt(j) == '\\') j++;
          j++;
        }
        j = Math.min(j + 1, src.length());
        out.append(src, i, j);
        i = j;
      } else if (src.startsWith("//", i)) {
        while (i < src.length() && src.charAt(i) != '\n') i++;
      } else if (src.startsWith("/*", i)) {
        int end = src.indexOf("*/", i + 2);
        i = end < 0 ? src.length() : end + 2;
        out.append(' ');
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  private static List<String> statements(String src) {
    return statements(src, ';');
  }

  /** Splits at {@code sep} outside brackets and string literals. */
  private static List<String> statements(String src, char sep) {
    List<String> out = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < src.length(); i++) {
      char c = src.charAt(i);
      if (c == '"' || c == '\'') {
        int j = i + 1;
        while (j < src.length() && src.charAt(j) != c) {
          if (src.charAt(j) == '\\') j++;
          j++;
        }
        i = j;
      } else if (c == '(' || c == '{' || c == '[') {
        depth++;
      } else if (c == ')' || c == '}' || c == ']') {
        depth = Math.max(0, depth - 1);
      } else if (c == sep && depth == 0) {
        out.add(src.substring(start, i).trim());
        start = i + 1;
      }
    }
    String rest = src.substring(Math.min(start, src.length())).trim();
    if (!rest.isEmpty()) out.add(rest);
    return out;
  }
}
