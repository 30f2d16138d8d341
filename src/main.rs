fn main() {
    println!("roomgate: not yet serving");
}
