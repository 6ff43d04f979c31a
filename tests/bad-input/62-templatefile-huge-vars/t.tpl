%{ for i in range(n) }${i}%{ endfor }
