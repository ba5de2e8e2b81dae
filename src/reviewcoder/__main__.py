from reviewcoder.cli import main

main()
