package dev.tfkit.kernel.display;


/**
 * Turns a value of one type into MIME data for the notebook ({@code text/html}, {@code image/png}
 * ...). Registered with {@link DisplayRegistry#register}; a renderer that throws does not lose the
 * value, which then shows as text.
 */
@FunctionalInterface
public interface Renderer<T> {
  void render(T value, MimeBundle.Builder out) throws Exception;
}
