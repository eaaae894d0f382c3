"""The framework floor: a minimal Typer app with one command that prints its argument."""

import typer

app = typer.Typer()


@app.command()
def main(word: str) -> None:
    print(word)


if __name__ == "__main__":
    app()
