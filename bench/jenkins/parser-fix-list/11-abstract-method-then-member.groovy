abstract class Base {
  abstract String tag()
  boolean d() { true }
}