echo hello world | cat
cat lorem
cat lorem |num
cat lorem |num |num |num |num |num
cat < lorem | wc
wc lorem
echo redirected > /shellout
cat /shellout
echo replaced words > /shellout
cat /shellout /shellout | num
cat script
sh <script
