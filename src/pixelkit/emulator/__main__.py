from pixelkit.emulator.server import main

main()
